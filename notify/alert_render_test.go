package notify_test

import (
	"testing"
	"time"

	"dutydesk/notify"
)

// TestAlertRendererMatchesRender renders warnings with AlertRenderer and with Render, for every
// action, acknowledged or not, and contacts, schools and links that the templates print as they
// are and that they escape or change: the messages must be identical.
func TestAlertRendererMatchesRender(t *testing.T) {
	recipients := []struct{ name, contact, school, link string }{
		{"Plain", "联系人1", "第1学校", "http://dutydesk.test/a/YWNrfDF8Mnwz.c2ln-_"},
		{"PlainHTTPS", "张校长", "东湖区第一小学", "https://duty.example.cn:8443/a/abc.def"},
		{"NoLink", "张校长", "东湖区第一小学", ""},
		{"SecondPlain", "李老师", "西江区第七中学", "http://dutydesk.test/a/other.token"},
		{"EscapedContact", `O'Brien & "Co" <x>`, "第2学校", "http://dutydesk.test/a/t.s"},
		{"PlusInSchool", "王", "C++ 学校", "http://dutydesk.test/a/t.s"},
		{"SpacesAroundNames", "  赵 \n", "\t第 3  学校 ", "http://dutydesk.test/a/t.s"},
		{"LinkWithQuery", "王", "第4学校", "https://duty.example.cn/ack?t=abc&x=1+2"},
		{"LinkNonASCII", "王", "第5学校", "https://例子.cn/a/t.s"},
		{"LinkNotHTTP", "王", "第6学校", "javascript:alert(1)"},
		{"InvalidUTF8", "\xff王", "第7学校", "http://dutydesk.test/a/t.s"},
	}
	shanghai := time.FixedZone("CST", 8*3600)
	for _, action := range []string{"issued", "updated", "lifted"} {
		for _, acknowledged := range []bool{false, true} {
			base := notify.AlertData{Action: action, Title: "台风橙色预警", Headline: "市气象台发布台风橙色预警信号 <b>&</b>", Region: "全市",
				Instructions: "全市中小学、幼儿园停课。\n请做好防范。", IssuedAt: time.Date(2026, 10, 8, 6, 0, 0, 0, shanghai),
				AckBy: time.Date(2026, 10, 8, 6, 30, 0, 0, shanghai), Acknowledged: acknowledged}
			renderer := notify.NewAlertRenderer(base)
			for _, rc := range recipients {
				want := base
				want.Contact, want.School, want.AckLink = rc.contact, rc.school, rc.link
				wantR, err := notify.Render(notify.KindAlertIssued, want)
				if err != nil {
					t.Fatal(err)
				}
				got, err := renderer.Render(rc.contact, rc.school, rc.link)
				if err != nil {
					t.Fatal(err)
				}
				if got != wantR {
					t.Errorf("%s/acknowledged=%v/%s:\n got %+v\nwant %+v", action, acknowledged, rc.name, got, wantR)
				}
			}
		}
	}
}
