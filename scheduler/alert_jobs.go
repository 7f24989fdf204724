package scheduler

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"dutydesk/config"
	"dutydesk/models"
	"dutydesk/models/alert"
	"dutydesk/models/app"
)

// The severe-weather jobs' names.
const (
	JobSafetyRounds = "safety_rounds"
	JobCAPPoll      = "cap_poll"
	JobHandovers    = "handover_watch"
)

// alertJobs open scheduled safety-report rounds and send due summaries, poll CAP feeds, and watch
// for shifts that ended without a handover (on the same once-a-minute schedule as the rounds).
func alertJobs(cfg config.Config, store *app.Stores, log *slog.Logger) []Job {
	poller := &CAPPoller{Store: store, URLs: cfg.CAPFeeds, Log: log}
	return []Job{
		{Name: JobSafetyRounds, Spec: cfg.ScheduleSafetyRounds, Setting: "DUTYDESK_SCHEDULE_SAFETY_ROUNDS", Timeout: 5 * time.Minute,
			Run: func(ctx context.Context) error {
				now := store.Now()
				opened, err := store.Alerts.OpenScheduledSafetyRounds(ctx, now)
				sent, err2 := store.Alerts.SendDueSafetySummaries(ctx, now)
				if opened+sent > 0 {
					log.Info("safety rounds", "opened", opened, "summary_messages", sent)
				}
				return errors.Join(err, err2)
			}},
		{Name: JobHandovers, Spec: cfg.ScheduleSafetyRounds, Setting: "DUTYDESK_SCHEDULE_SAFETY_ROUNDS", Timeout: time.Minute,
			Run: func(ctx context.Context) error {
				n, err := store.Roster.WatchHandovers(ctx, store.Now())
				if n > 0 {
					log.Info("handovers missing", "deadlines_opened", n)
				}
				return err
			}},
		{Name: JobCAPPoll, Spec: cfg.ScheduleCAPPoll, Setting: "DUTYDESK_SCHEDULE_CAP_POLL", Timeout: 2 * time.Minute,
			Run: func(ctx context.Context) error {
				_, err := poller.Poll(ctx)
				return err
			}},
	}
}

// CAPPoller fetches CAP feeds and ingests what they carry. A feed URL may serve one CAP alert, or
// an Atom or RSS feed whose entries link to CAP alerts.
type CAPPoller struct {
	Store  *app.Stores
	URLs   []string
	Client *http.Client // nil: a client with a 20 s timeout
	Log    *slog.Logger
}

// maxFeedBytes bounds a fetched document; maxFeedEntries bounds the alerts fetched per feed.
const (
	maxFeedBytes   = 2 << 20
	maxFeedEntries = 50
)

// Poll fetches every feed once and ingests each CAP message as the System actor. A broken feed or
// message is logged and reported in the returned error; it never stops the others.
func (p *CAPPoller) Poll(ctx context.Context) ([]alert.CAPResult, error) {
	var results []alert.CAPResult
	var errs []error
	for _, u := range p.URLs {
		docs, err := p.fetchFeed(ctx, u)
		if err != nil {
			p.log().Warn("cap feed", "url", u, "err", err)
			errs = append(errs, fmt.Errorf("cap feed %s: %w", u, err))
			continue
		}
		for _, doc := range docs {
			res, err := p.Store.Alerts.IngestCAP(ctx, models.System, doc.body)
			if err != nil {
				p.log().Warn("cap message refused", "url", doc.url, "err", err)
				errs = append(errs, fmt.Errorf("cap message %s: %w", doc.url, err))
				continue
			}
			if res.Action != "unchanged" {
				p.log().Info("cap message", "url", doc.url, "identifier", res.Identifier, "action", res.Action, "reason", res.Reason, "alert", res.AlertID)
			}
			results = append(results, *res)
		}
	}
	return results, errors.Join(errs...)
}

func (p *CAPPoller) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

type capDoc struct {
	url  string
	body []byte
}

// fetchFeed returns the CAP documents behind a feed URL.
func (p *CAPPoller) fetchFeed(ctx context.Context, u string) ([]capDoc, error) {
	body, err := p.get(ctx, u)
	if err != nil {
		return nil, err
	}
	links, isFeed := feedLinks(body)
	if !isFeed {
		return []capDoc{{url: u, body: body}}, nil
	}
	var docs []capDoc
	for i, link := range links {
		if i == maxFeedEntries {
			break
		}
		b, err := p.get(ctx, link)
		if err != nil {
			return docs, err
		}
		docs = append(docs, capDoc{url: link, body: b})
	}
	return docs, nil
}

func (p *CAPPoller) get(ctx context.Context, u string) ([]byte, error) {
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/cap+xml, application/atom+xml, application/xml;q=0.9")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFeedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxFeedBytes {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, maxFeedBytes)
	}
	return body, nil
}

// feedLinks reads the entry links of an Atom or RSS feed; isFeed is false for any other document
// (a CAP alert itself). Like the CAP parser, it refuses DTDs.
func feedLinks(body []byte) (links []string, isFeed bool) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		if _, ok := tok.(xml.Directive); ok {
			return nil, false
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "feed":
			var feed struct {
				Entries []struct {
					Links []struct {
						Href string `xml:"href,attr"`
						Rel  string `xml:"rel,attr"`
						Type string `xml:"type,attr"`
					} `xml:"link"`
				} `xml:"entry"`
			}
			if dec.DecodeElement(&feed, &start) != nil {
				return nil, true
			}
			for _, e := range feed.Entries {
				for _, l := range e.Links {
					if l.Rel == "" || l.Rel == "alternate" || strings.Contains(l.Type, "cap") {
						links = append(links, l.Href)
						break
					}
				}
			}
			return links, true
		case "rss":
			var rss struct {
				Items []struct {
					Link string `xml:"link"`
				} `xml:"channel>item"`
			}
			if dec.DecodeElement(&rss, &start) != nil {
				return nil, true
			}
			for _, it := range rss.Items {
				if l := strings.TrimSpace(it.Link); l != "" {
					links = append(links, l)
				}
			}
			return links, true
		default:
			return nil, false
		}
	}
}
