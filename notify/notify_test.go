package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dutydesk/internal/smtptest"
	"dutydesk/notify"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

const from = "市教育局应急值守 <duty@edu.example.cn>"

// sampleData is one realistic value per kind; every kind must have one.
var sampleData = map[notify.Kind]any{
	notify.KindEscalation: notify.EscalationData{Step: 2, StepCount: 4, Audience: "带班领导", What: "突发事件首报（电话）",
		Label: "食堂疑似食物中毒 <script>", Schools: []string{"东湖区第一小学"}, DueAt: time.Date(2026, 10, 8, 10, 0, 0, 0, shanghai),
		Overdue: 30 * time.Minute, Reference: "incident/12"},
	notify.KindDutyReminder: notify.DutyReminderData{Name: "值班员甲", Role: "值班员", Shift: "夜班",
		Start: time.Date(2026, 10, 9, 17, 30, 0, 0, shanghai), End: time.Date(2026, 10, 10, 8, 30, 0, 0, shanghai)},
	notify.KindDailyBrief: notify.DailyBriefData{Day: time.Date(2026, 10, 7, 0, 0, 0, 0, shanghai), Due: 5, Met: 3, Late: 1, Open: 1,
		Escalations: 2, Overdue: []notify.BriefItem{{What: "突发事件续报", Label: "暴雨积水", School: "西江区第一中学",
			DueAt: time.Date(2026, 10, 7, 17, 0, 0, 0, shanghai), Overdue: 17 * time.Hour}}, MoreOverdue: 3},
	notify.KindAlertIssued: notify.AlertData{Action: "issued", Headline: "市气象台发布台风橙色预警信号", Contact: "张校长", School: "东湖区第一小学", Title: "台风橙色预警", Region: "全市",
		Instructions: "全市中小学、幼儿园停课。", IssuedAt: time.Date(2026, 10, 8, 6, 0, 0, 0, shanghai),
		AckBy: time.Date(2026, 10, 8, 6, 30, 0, 0, shanghai), AckLink: "https://duty.example.cn/ack?t=abc&x=1"},
	notify.KindSafetyRequest: notify.SafetyRequestData{Contact: "张校长", School: "东湖区第一小学", Alert: "台风橙色预警",
		DueAt: time.Date(2026, 10, 8, 20, 0, 0, 0, shanghai), Link: "https://duty.example.cn/safety?t=abc"},
	notify.KindSafetySummary: notify.SafetySummaryData{Alert: "台风橙色预警", Round: "2026-10-08 20:00",
		DueAt: time.Date(2026, 10, 8, 22, 0, 0, 0, shanghai), Summary: "应报986所，已报985所，其中平安984所、停课0所、有损失1所；未报1所。",
		Missing: []string{"西江区第七中学"}},
	notify.KindMajorReport: notify.MajorReportData{Report: "首报", Title: "学生校外溺水", Class: "Ⅱ级（重大）", School: "东湖区第一小学",
		Facts: []string{"发生：10月8日 09:00，学校东侧河道", "伤亡：死亡1人、受伤0人、失踪0人"}, Reporter: "王校长", Phone: "13800000001",
		Link: "https://duty.example.cn/console/incidents/5"},
	notify.KindInstruction: notify.InstructionData{School: "东湖区第一小学", Incident: "学生校外溺水", Leader: "王局长",
		Text: "全力救治，做好家属安抚，12小时内报告处置情况。", GivenAt: time.Date(2026, 10, 8, 11, 0, 0, 0, shanghai),
		DueAt: time.Date(2026, 10, 8, 23, 0, 0, 0, shanghai), Link: "https://duty.example.cn/console/incidents/5"},
}

func TestRenderEveryKind(t *testing.T) {
	for _, kind := range notify.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			data, ok := sampleData[kind]
			if !ok {
				t.Fatalf("no sample data for kind %s", kind)
			}
			r, err := notify.Render(kind, data)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject == "" || strings.Contains(r.Subject, "\n") || strings.TrimSpace(r.Text) == "" || !strings.Contains(r.HTML, "<html lang=\"zh-CN\">") {
				t.Fatalf("incomplete rendering: %+v", r)
			}
			if strings.Contains(r.Text+r.HTML+r.Subject, "<no value>") {
				t.Fatalf("a template field is missing: %+v", r)
			}
		})
	}
}

func TestRenderEscalation(t *testing.T) {
	r, err := notify.Render(notify.KindEscalation, sampleData[notify.KindEscalation])
	if err != nil {
		t.Fatal(err)
	}
	if want := "【逾期升级·第3级】突发事件首报（电话）已逾期30分钟：东湖区第一小学"; r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
	for _, want := range []string{"带班领导：", "应于 2026年10月8日 10:00 前完成", "此为第 3 级通知（共 4 级）", "食堂疑似食物中毒 <script>"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not escape the label:\n%s", r.HTML)
	}
	if _, err := notify.Render("nonsense", nil); err == nil {
		t.Error("unknown kind rendered")
	}
}

func sampleMessage(i int, to string) notify.Message {
	r, err := notify.Render(notify.KindEscalation, sampleData[notify.KindEscalation])
	if err != nil {
		panic(err)
	}
	return notify.Message{
		ID: notify.MessageID("", "test", fmt.Sprint(i), to), Channel: notify.ChannelEmail, Kind: notify.KindEscalation,
		To: to, ToName: "张校长", Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		CreatedAt: time.Date(2026, 10, 8, 10, 30, 0, 0, time.UTC),
	}
}

func TestMessageIDIsDeterministic(t *testing.T) {
	a, b := notify.MessageID("", "escalation", "deadline/1", "step/0", "a@x.cn"), notify.MessageID("", "escalation", "deadline/1", "step/0", "a@x.cn")
	if a != b || !strings.HasPrefix(a, "<") || !strings.HasSuffix(a, "@dutydesk>") {
		t.Fatalf("ids %q, %q", a, b)
	}
	if a == notify.MessageID("", "escalation", "deadline/1", "step/1", "a@x.cn") || a == notify.MessageID("", "escalation", "deadline/1", "step/0a@x.cn") {
		t.Fatal("different messages share an id")
	}
}

func TestMessageIDHasTheInstallation(t *testing.T) {
	parts := []string{"escalation", "deadline/42", "step/1", "email", "zhang@school.example.cn"}
	a, b := notify.MessageID("3f9a0c5e21d4", parts...), notify.MessageID("77b1e0a9c3f2", parts...)
	if a == b {
		t.Fatalf("two installations give the same Message-ID %q for their deadline/42", a)
	}
	if !strings.HasSuffix(a, "@3f9a0c5e21d4.dutydesk>") || !strings.HasSuffix(b, "@77b1e0a9c3f2.dutydesk>") {
		t.Fatalf("ids %q, %q lack the installation", a, b)
	}
	if a != notify.MessageID("3f9a0c5e21d4", parts...) {
		t.Fatal("one installation gives two ids for one message")
	}
	if _, err := mail.ParseAddress("x " + a); err != nil {
		t.Fatalf("%q is not a valid msg-id: %v", a, err)
	}
}

// checkMIME parses raw as an e-mail and checks headers and both alternatives.
func checkMIME(t *testing.T, raw []byte, m notify.Message) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("not a parseable e-mail: %v\n%s", err, raw)
	}
	if got := msg.Header["Message-Id"]; len(got) != 1 || got[0] != m.ID {
		t.Errorf("Message-Id headers %q, want exactly %q", got, m.ID)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, m.Subject)
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil || to.Address != m.To || to.Name != m.ToName {
		t.Errorf("To %+v (%v)", to, err)
	}
	if date, err := msg.Header.Date(); err != nil || !date.Equal(m.CreatedAt) {
		t.Errorf("Date %v (%v), want %v", date, err, m.CreatedAt)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v)", mediaType, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // NextPart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = strings.ReplaceAll(string(body), "\r\n", "\n") // MIME lines end in CRLF
	}
	if parts["text/plain"] != m.Text || parts["text/html"] != m.HTML {
		t.Errorf("parts differ from the message: %q", parts)
	}
}

func TestFileSenderWritesParseableEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	f := &notify.FileSender{Dir: dir, From: from}
	m := sampleMessage(1, "principal@school.example.cn")
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := f.Send(context.Background(), m); err != nil { // a retry overwrites
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != f.FileName(m) || !strings.HasSuffix(entries[0].Name(), ".eml") {
		t.Fatalf("files %v, want one named %s", entries, f.FileName(m))
	}
	raw, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	checkMIME(t, raw, m)
}

func newSMTP(t *testing.T, srv *smtptest.Server, pool int) *notify.SMTPSender {
	t.Helper()
	s, err := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL(), From: from, PoolSize: pool, Timeout: 5 * time.Second, TLSConfig: srv.ClientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSMTPSenderDeliversOverSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSMTP(t, srv, 3)
	const n = 30
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sent := make([]notify.Message, n)
	for i := range n {
		sent[i] = sampleMessage(i, fmt.Sprintf("c%d@school.example.cn", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Send(context.Background(), sent[i])
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Received()
	if len(got) != n {
		t.Fatalf("server received %d messages, want %d", len(got), n)
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.MessageID] = true
		if r.From != "duty@edu.example.cn" || len(r.To) != 1 {
			t.Errorf("envelope %s → %v", r.From, r.To)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct Message-IDs, want %d", len(seen), n)
	}
	checkMIME(t, got[0].Data, messageByID(sent, got[0].MessageID))
	// Each connection is two sessions (before and after STARTTLS); the pool bounds connections.
	if sessions := srv.Sessions(); sessions > 2*3 {
		t.Errorf("%d sessions: more connections than the pool size 3", sessions)
	}
}

func TestSMTPSenderImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true})
	s := newSMTP(t, srv, 1)
	for i := range 2 {
		if err := s.Send(context.Background(), sampleMessage(i, "a@school.example.cn")); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Received(); len(got) != 2 || srv.Sessions() != 1 {
		t.Fatalf("received %d over %d sessions, want 2 over one pooled connection", len(got), srv.Sessions())
	}
	// An untrusted certificate is refused.
	untrusting, err := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL(), From: from, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.Close()
	if err := untrusting.Send(context.Background(), sampleMessage(3, "a@school.example.cn")); err == nil {
		t.Fatal("sent over TLS to a server with an untrusted certificate")
	}
}

func messageByID(ms []notify.Message, id string) notify.Message {
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	return notify.Message{}
}

func TestSMTPSenderRefusesPlaintextWhenSTARTTLSRequired(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
	s, err := notify.NewSMTPSender(notify.SMTPConfig{URL: srv.URL() + "?starttls=1", From: from, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Send(context.Background(), sampleMessage(1, "a@school.example.cn"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("error %v, want a refusal naming STARTTLS", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d messages went out in plaintext", n)
	}
}

func TestSMTPSenderSurvivesAnOutageAndStaleConnections(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSMTP(t, srv, 1)
	ctx := context.Background()
	if err := s.Send(ctx, sampleMessage(1, "a@school.example.cn")); err != nil {
		t.Fatal(err)
	}
	srv.Stop() // the pooled connection dies with the server
	if err := s.Send(ctx, sampleMessage(2, "a@school.example.cn")); err == nil {
		t.Fatal("send succeeded with the server down")
	}
	srv.Restart()
	if err := s.Send(ctx, sampleMessage(2, "a@school.example.cn")); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	// A pooled connection the server has dropped in the meantime is replaced, not reported.
	srv.Stop()
	srv.Restart()
	if err := s.Send(ctx, sampleMessage(3, "a@school.example.cn")); err != nil {
		t.Fatalf("send on a stale pooled connection: %v", err)
	}
	if n := len(srv.Received()); n != 3 {
		t.Fatalf("received %d, want 3", n)
	}
}

func TestSMTPSenderHonoursTimeout(t *testing.T) {
	// A server that accepts the connection and never says a word.
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s, err := notify.NewSMTPSender(notify.SMTPConfig{URL: "smtp://" + l.Addr().String(), From: from, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Send(context.Background(), sampleMessage(1, "a@school.example.cn")); err == nil {
		t.Fatal("send to a silent server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Fatalf("send took %v despite a 300ms timeout", elapsed)
	}
}

func TestWebhookSender(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		body["idempotency_key"] = r.Header.Get("Idempotency-Key")
		bodies = append(bodies, body)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	w := &notify.WebhookSender{URL: srv.URL, Client: &http.Client{Timeout: 5 * time.Second}}
	m := sampleMessage(1, "webhook")
	if err := w.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	status = http.StatusBadGateway
	mu.Unlock()
	if err := w.Send(context.Background(), m); err == nil {
		t.Fatal("a 502 answer counted as sent")
	}
	b := bodies[0]
	text, _ := b["text"].(map[string]any)
	if b["msgtype"] != "text" || b["message_id"] != m.ID || b["idempotency_key"] != m.ID || !strings.HasPrefix(fmt.Sprint(text["content"]), m.Subject) {
		t.Fatalf("payload %v", b)
	}
}
