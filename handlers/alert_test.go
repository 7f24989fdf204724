package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"dutydesk/internal/testenv"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

func TestAlertAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dialect store.Dialect) {
		h := newHarness(t, dialect)
		d := h.dir
		issue := map[string]any{"type": "typhoon", "level": "orange", "district_ids": []int64{d.District1.ID}}

		t.Run("OnlyTheDeskIssues", func(t *testing.T) {
			for _, u := range []*models.User{d.Leader, d.DistrictOfficer, d.Reporter} {
				expect(t, h.do("POST", "/api/v1/alerts", u, issue), http.StatusForbidden)
			}
			r := h.do("POST", "/api/v1/alerts", d.Officer, map[string]any{"type": "tornado", "level": "purple", "district_ids": []int64{}})
			expect(t, r, http.StatusUnprocessableEntity)
			if f := r.Err(t).Error.Fields; f["type"] == "" || f["level"] == "" || f["district_ids"] == "" {
				t.Fatalf("fields %v", f)
			}
			expect(t, h.do("POST", "/api/v1/alerts", d.Officer, map[string]any{"type": "typhoon", "level": "red", "district_ids": []int64{999}}), http.StatusUnprocessableEntity)
		})

		r := h.do("POST", "/api/v1/alerts", d.Officer, issue, "Idempotency-Key", "storm-1")
		expect(t, r, http.StatusCreated)
		var a alert.Alert
		r.JSON(t, &a)
		expect(t, h.do("POST", "/api/v1/alerts", d.Officer, issue, "Idempotency-Key", "storm-1"), http.StatusCreated)
		var list struct{ Items []alert.Alert }
		h.do("GET", "/api/v1/alerts", d.Leader, nil).JSON(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("a retried issue created %d alerts", len(list.Items))
		}
		if ids := list.Items[0].DistrictIDs; len(ids) != 1 || ids[0] != d.District1.ID {
			t.Fatalf("listed alert's region %v, want [%d]", ids, d.District1.ID)
		}
		path := "/api/v1/alerts/" + id(a.ID)

		t.Run("PreviewShowsDefaultInstructions", func(t *testing.T) {
			r := h.do("GET", "/api/v1/alerts/preview?type=rainstorm&level=red", d.Officer, nil)
			expect(t, r, http.StatusOK)
			if !strings.Contains(string(r.Body), "暴雨红色预警") {
				t.Fatalf("preview %s", r.Body)
			}
			expect(t, h.do("GET", "/api/v1/alerts/preview?type=x&level=red", d.Officer, nil), http.StatusUnprocessableEntity)
		})
		t.Run("ScopedVisibility", func(t *testing.T) {
			expect(t, h.do("GET", path, d.DistrictOfficer, nil), http.StatusOK)
			expect(t, h.do("GET", path, d.Reporter, nil), http.StatusOK) // 1A is in District1
			var st alert.AlertStatusReport
			r := h.do("GET", path+"/status", d.Reporter, nil)
			expect(t, r, http.StatusOK)
			r.JSON(t, &st)
			if st.Schools != 1 || st.PerSchool[0].SchoolID != d.School1A.ID || len(st.PerSchool[0].Contacts) != 2 {
				t.Fatalf("reporter's status view %+v", st)
			}
		})
		t.Run("AcknowledgeByAPIAndLink", func(t *testing.T) {
			r := h.do("POST", path+"/acknowledge", d.Reporter, nil)
			expect(t, r, http.StatusOK)
			var st alert.AlertSchool
			r.JSON(t, &st)
			if st.AcknowledgedAt == nil || st.AckByName != d.Reporter.DisplayName {
				t.Fatalf("ack %+v", st)
			}
			token := directory.NewLinkSigner(testenv.Secret).Sign(directory.LinkClaims{Purpose: directory.LinkAlertAck,
				RecipientID: contactOf(t, h, d.School1B.ID), SchoolID: d.School1B.ID, SubjectID: a.ID, ExpiresAt: h.clock.Now().Add(time.Hour)})
			info := h.do("GET", "/api/v1/links/ack/"+token, nil, nil)
			expect(t, info, http.StatusOK)
			if !strings.Contains(string(info.Body), `"acknowledged_at":null`) {
				t.Fatalf("link info before confirming %s", info.Body)
			}
			expect(t, h.do("POST", "/api/v1/links/ack/"+token, nil, nil), http.StatusOK)
			expect(t, h.do("POST", "/api/v1/links/ack/"+token, nil, nil), http.StatusOK)
			expect(t, h.do("POST", "/api/v1/links/ack/"+token+"x", nil, nil), http.StatusNotFound)
			var status alert.AlertStatusReport
			h.do("GET", path+"/status", d.Officer, nil).JSON(t, &status)
			if status.Acknowledged != 2 || status.Unacknowledged != 0 {
				t.Fatalf("status after both confirmed %+v", status)
			}
		})
		t.Run("SafetyReportsAndLift", func(t *testing.T) {
			var safety struct {
				Rounds []struct {
					Summary alert.SafetySummary
					Text    string
				}
			}
			h.do("GET", path+"/safety", d.Leader, nil).JSON(t, &safety)
			if len(safety.Rounds) != 1 || safety.Rounds[0].Summary.Schools != 2 {
				t.Fatalf("orange alert rounds %+v", safety)
			}
			round := safety.Rounds[0].Summary.Round.ID
			rpath := "/api/v1/safety-rounds/" + id(round) + "/reports"
			expect(t, h.do("POST", rpath, d.Reporter, map[string]any{"state": "damage"}), http.StatusUnprocessableEntity)
			expect(t, h.do("POST", rpath, d.Reporter, map[string]any{"state": "safe", "school_id": d.School2A.ID}), http.StatusNotFound)
			expect(t, h.do("POST", rpath, d.Reporter, map[string]any{"state": "safe"}), http.StatusOK)
			expect(t, h.do("POST", rpath, d.Leader, map[string]any{"state": "safe", "school_id": d.School1B.ID}), http.StatusForbidden)
			expect(t, h.do("POST", path+"/lift", d.Reporter, nil), http.StatusForbidden)
			expect(t, h.do("POST", path+"/lift", d.Officer, map[string]any{"note": "台风已减弱"}), http.StatusOK)
			expect(t, h.do("POST", path+"/lift", d.Officer, nil), http.StatusConflict)
			expect(t, h.do("PATCH", path, d.Officer, map[string]any{"level": "red"}), http.StatusConflict)
		})
		t.Run("CAPUpload", func(t *testing.T) {
			expect(t, h.do("POST", "/api/v1/cap", d.Reporter, "<alert/>"), http.StatusForbidden)
			r := h.do("POST", "/api/v1/cap", d.Officer, "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><alert>&e;</alert>")
			expect(t, r, http.StatusUnprocessableEntity)
		})
	})
}

func contactOf(t *testing.T, h *harness, schoolID int64) int64 {
	t.Helper()
	var sc directory.School
	h.do("GET", "/api/v1/schools/"+id(schoolID), h.dir.Admin, nil).JSON(t, &sc)
	return sc.Contacts[0].ID
}
