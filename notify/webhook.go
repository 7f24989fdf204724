package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// WebhookSender POSTs each message as JSON to URL, in the text-message shape group robots accept
// ({"msgtype": "text", "text": {"content": …}}) plus the message's id, kind and subject.
type WebhookSender struct {
	URL    string
	Client *http.Client // give it a Timeout
}

// webhookPayload is the JSON body of a webhook POST.
type webhookPayload struct {
	MsgType   string      `json:"msgtype"`
	Text      webhookText `json:"text"`
	MessageID string      `json:"message_id"`
	Kind      Kind        `json:"kind"`
	Subject   string      `json:"subject"`
}

type webhookText struct {
	Content string `json:"content"`
}

// Send posts m; any answer but 2xx is an error, so the outbox tries again. The Idempotency-Key
// header carries the Message-ID so a receiver can drop a retry it has already seen.
func (w *WebhookSender) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(webhookPayload{
		MsgType: "text", Text: webhookText{Content: m.Subject + "\n\n" + m.Text},
		MessageID: m.ID, Kind: m.Kind, Subject: m.Subject,
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", m.ID)
	resp, err := w.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: answered %s", resp.Status)
	}
	return nil
}
