package alert

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"dutydesk/models"
)

// CAPAlert is a Common Alerting Protocol (CAP 1.1/1.2) message: the envelope and its info blocks.
// Element names match in any namespace prefix; the root must be a CAP `alert`.
type CAPAlert struct {
	XMLName    xml.Name  `xml:"alert"`
	Identifier string    `xml:"identifier"`
	Sender     string    `xml:"sender"`
	SentRaw    string    `xml:"sent"`
	Status     string    `xml:"status"`  // Actual, Exercise, System, Test, Draft
	MsgType    string    `xml:"msgType"` // Alert, Update, Cancel, Ack, Error
	Scope      string    `xml:"scope"`
	References string    `xml:"references"`
	Note       string    `xml:"note"`
	Infos      []CAPInfo `xml:"info"`

	// Sent is SentRaw parsed.
	Sent time.Time `xml:"-"`
}

// CAPInfo is one `info` block; a message may carry one per language.
type CAPInfo struct {
	Language    string     `xml:"language"`
	Categories  []string   `xml:"category"`
	Event       string     `xml:"event"`
	Urgency     string     `xml:"urgency"`
	Severity    string     `xml:"severity"` // Extreme, Severe, Moderate, Minor, Unknown
	Certainty   string     `xml:"certainty"`
	EventCodes  []CAPValue `xml:"eventCode"`
	Effective   string     `xml:"effective"`
	Onset       string     `xml:"onset"`
	Expires     string     `xml:"expires"`
	SenderName  string     `xml:"senderName"`
	Headline    string     `xml:"headline"`
	Description string     `xml:"description"`
	Instruction string     `xml:"instruction"`
	Parameters  []CAPValue `xml:"parameter"`
	Areas       []CAPArea  `xml:"area"`
}

// CAPValue is a valueName/value pair (eventCode, parameter, geocode).
type CAPValue struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

// CAPArea is an `area` block.
type CAPArea struct {
	Desc     string     `xml:"areaDesc"`
	Polygons []string   `xml:"polygon"`
	Circles  []string   `xml:"circle"`
	Geocodes []CAPValue `xml:"geocode"`
}

// CAPReference is one `sender,identifier,sent` triple of the references element.
type CAPReference struct {
	Sender, Identifier, Sent string
}

// maxCAPBytes bounds a CAP document; real warnings are a few kilobytes.
const maxCAPBytes = 1 << 20

var capStatuses = map[string]bool{"Actual": true, "Exercise": true, "System": true, "Test": true, "Draft": true}

var capMsgTypes = map[string]bool{"Alert": true, "Update": true, "Cancel": true, "Ack": true, "Error": true}

// ParseCAP reads one CAP alert. It refuses DTDs and entity declarations outright (no entity is
// ever resolved or fetched), documents over 1 MiB, roots other than a CAP alert, and messages
// missing required envelope fields. Errors are EINVALID with a message saying what is wrong.
func ParseCAP(r io.Reader) (*CAPAlert, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxCAPBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read CAP: %w", err)
	}
	if len(raw) > maxCAPBytes {
		return nil, capError("CAP 文档超过 1 MiB")
	}
	dec := xml.NewDecoder(strings.NewReader(string(raw)))
	dec.Strict = true
	var root *xml.StartElement
	for root == nil {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil, capError("CAP 文档为空")
		}
		if err != nil {
			return nil, capError("XML 格式错误：" + err.Error())
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, capError("CAP 文档不得包含 DTD 或实体声明")
		case xml.StartElement:
			root = &t
		}
	}
	if root.Name.Local != "alert" || !strings.HasPrefix(root.Name.Space, "urn:oasis:names:tc:emergency:cap:") {
		return nil, capError(fmt.Sprintf("根元素应为 CAP alert，而不是 %s %s", root.Name.Space, root.Name.Local))
	}
	var a CAPAlert
	if err := dec.DecodeElement(&a, root); err != nil {
		return nil, capError("XML 格式错误：" + err.Error())
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, capError("XML 格式错误：" + err.Error())
		}
		if _, ok := tok.(xml.Directive); ok {
			return nil, capError("CAP 文档不得包含 DTD 或实体声明")
		}
	}
	if err := a.validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

func capError(msg string) error {
	return &models.Error{Code: models.EINVALID, Message: msg, Fields: map[string]string{"cap": msg}}
}

func (a *CAPAlert) validate() error {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&a.Identifier, &a.Sender, &a.SentRaw, &a.Status, &a.MsgType, &a.Scope, &a.References} {
		trim(s)
	}
	var missing []string
	for name, v := range map[string]string{"identifier": a.Identifier, "sender": a.Sender, "sent": a.SentRaw, "status": a.Status, "msgType": a.MsgType, "scope": a.Scope} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return capError("CAP 缺少必填元素：" + strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	if !capStatuses[a.Status] {
		return capError("CAP status 无效：" + a.Status)
	}
	if !capMsgTypes[a.MsgType] {
		return capError("CAP msgType 无效：" + a.MsgType)
	}
	sent, err := time.Parse(time.RFC3339, a.SentRaw)
	if err != nil {
		return capError("CAP sent 时间格式无效：" + a.SentRaw)
	}
	a.Sent = sent
	return nil
}

// ReferenceList parses the references element.
func (a *CAPAlert) ReferenceList() []CAPReference {
	var refs []CAPReference
	for _, triple := range strings.Fields(a.References) {
		parts := strings.Split(triple, ",")
		if len(parts) == 3 {
			refs = append(refs, CAPReference{Sender: parts[0], Identifier: parts[1], Sent: parts[2]})
		}
	}
	return refs
}

// PreferredInfo returns the info block to use: zh-CN first, then any Chinese, then the first.
func (a *CAPAlert) PreferredInfo() *CAPInfo {
	if len(a.Infos) == 0 {
		return nil
	}
	for _, want := range []func(string) bool{
		func(l string) bool { return strings.EqualFold(l, "zh-CN") },
		func(l string) bool { return strings.HasPrefix(strings.ToLower(l), "zh") },
	} {
		for i := range a.Infos {
			if want(strings.TrimSpace(a.Infos[i].Language)) {
				return &a.Infos[i]
			}
		}
	}
	return &a.Infos[0]
}

// gbIdentifier matches a GB/T 35965.1-2018 identifier: 6-digit area code, 3-digit industry code,
// more digits, then _YYYYMMDDhhmmss and an optional _N.
var gbIdentifier = regexp.MustCompile(`^(\d{6})(\d{3})\d*_(\d{14})(?:_(\d+))?$`)

// GBIdentifier splits a Chinese CAP identifier into its area code and industry code (416 is
// meteorology); ok is false for identifiers of other shapes.
func GBIdentifier(id string) (area, industry string, ok bool) {
	m := gbIdentifier.FindStringSubmatch(strings.TrimSpace(id))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
