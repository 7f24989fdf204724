package alert_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dutydesk/models"
	"dutydesk/models/alert"
)

func readCAP(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "cap", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseRealCAP(t *testing.T) {
	cases := []struct {
		file, identifier, event, language string
		infos                             int
	}{
		{"weather.cap", "NOAA-NWS-ALERTS-MT20100830100700TFXFlashFloodWatchTFX20100830180000MT", "Flash Flood Watch", "", 1},
		{"australia.cap", "tag:www.rfs.nsw.gov.au2011-10-06:40184", "Fire", "en-AU", 1},
		{"thunderstorm.cap", "", "", "", 0},
		{"earthquake.cap", "", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			a, err := alert.ParseCAP(strings.NewReader(string(readCAP(t, c.file))))
			if err != nil {
				t.Fatal(err)
			}
			if a.Sent.IsZero() || a.Status == "" || len(a.Infos) == 0 {
				t.Fatalf("parsed %+v", a)
			}
			if c.identifier != "" && a.Identifier != c.identifier {
				t.Errorf("identifier %q", a.Identifier)
			}
			if info := a.PreferredInfo(); c.event != "" && (info.Event != c.event || info.Language != c.language) {
				t.Errorf("info %q %q", info.Event, info.Language)
			}
		})
	}
}

func TestParseCAPRefuses(t *testing.T) {
	for file, want := range map[string]string{
		"xee.cap":     "DTD",
		"invalid.cap": "scope",
	} {
		t.Run(file, func(t *testing.T) {
			_, err := alert.ParseCAP(strings.NewReader(string(readCAP(t, file))))
			if models.ErrCode(err) != models.EINVALID || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want invalid mentioning %s", err, want)
			}
		})
	}
	for name, doc := range map[string]string{
		"Empty":        "",
		"NotXML":       "{\"alert\":1}",
		"WrongRoot":    `<feed xmlns="http://www.w3.org/2005/Atom"></feed>`,
		"Unclosed":     `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x`,
		"BadSent":      `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier><sender>s</sender><sent>yesterday</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope></alert>`,
		"BadStatus":    `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier><sender>s</sender><sent>2026-07-01T08:00:00+08:00</sent><status>Real</status><msgType>Alert</msgType><scope>Public</scope></alert>`,
		"EntityBomb":   `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>`,
		"TooLarge":     `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>` + strings.Repeat("x", 1<<20) + `</note></alert>`,
		"UndefinedEnt": `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := alert.ParseCAP(strings.NewReader(doc)); models.ErrCode(err) != models.EINVALID {
				t.Fatalf("error %v, want invalid", err)
			}
		})
	}
}

// A Chinese typhoon warning with an English and a Chinese info block, as a provincial feed sends it.
const chineseTyphoonCAP = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>33010041600000000000_20260915083000_1</identifier>
  <sender>330100000000</sender>
  <sent>2026-09-15T08:30:00+08:00</sent>
  <status>Actual</status>
  <msgType>Update</msgType>
  <scope>Public</scope>
  <references>330100000000,33010041600000000000_20260914200000,2026-09-14T20:00:00+08:00</references>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Typhoon</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <headline>Typhoon Orange Warning</headline>
    <area><areaDesc>City</areaDesc></area>
  </info>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>台风</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <eventCode><valueName>GB/T 35965.1</valueName><value>11B03</value></eventCode>
    <headline>市气象台发布台风橙色预警信号</headline>
    <description>受今年第18号台风影响，预计12小时内本市平均风力可达10级以上。</description>
    <area><areaDesc>东湖区,西江区</areaDesc><geocode><valueName>行政区划代码</valueName><value>330102</value></geocode></area>
  </info>
</alert>`

func TestParseChineseCAP(t *testing.T) {
	a, err := alert.ParseCAP(strings.NewReader(chineseTyphoonCAP))
	if err != nil {
		t.Fatal(err)
	}
	info := a.PreferredInfo()
	if info.Language != "zh-CN" || info.Event != "台风" || info.Areas[0].Geocodes[0].Value != "330102" {
		t.Fatalf("preferred info %+v", info)
	}
	refs := a.ReferenceList()
	if len(refs) != 1 || refs[0].Identifier != "33010041600000000000_20260914200000" {
		t.Fatalf("references %+v", refs)
	}
	area, industry, ok := alert.GBIdentifier(a.Identifier)
	if !ok || area != "330100" || industry != "416" {
		t.Fatalf("identifier %q → %q %q %v", a.Identifier, area, industry, ok)
	}
	if _, _, ok := alert.GBIdentifier(refs[0].Identifier); !ok {
		t.Fatalf("identifier without _N suffix not accepted")
	}
	if _, _, ok := alert.GBIdentifier("NOAA-NWS-1"); ok {
		t.Fatal("non-GB identifier accepted")
	}
}

func FuzzParseCAP(f *testing.F) {
	f.Add(chineseTyphoonCAP)
	f.Add(`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"></alert>`)
	f.Fuzz(func(t *testing.T, doc string) {
		a, err := alert.ParseCAP(strings.NewReader(doc))
		if err != nil && models.ErrCode(err) != models.EINVALID {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err == nil && (a.Identifier == "" || a.Sent.IsZero()) {
			t.Fatalf("accepted an alert without identifier or sent: %+v", a)
		}
	})
}
