package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// receiver is an HTTP endpoint subscribed to the failure topic: it confirms
// the subscription and records every failure notification by key and version.
type receiver struct {
	srv       *http.Server
	url       string
	confirmed chan struct{}
	once      sync.Once

	mu   sync.Mutex
	byKV map[keyVersion]time.Time // first notification for key@version
	n    int
}

type keyVersion struct{ key, version string }

func newReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/sns", confirmed: make(chan struct{}), byKV: map[keyVersion]time.Time{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.srv.Shutdown(ctx)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var doc struct {
		Type, Message, SubscribeURL string
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err := json.Unmarshal(body, &doc); err != nil {
		http.Error(w, "not an SNS document", http.StatusBadRequest)
		return
	}
	switch doc.Type {
	case "SubscriptionConfirmation":
		// Confirm in the background: the stack may deliver this before
		// Subscribe has returned.
		go func() {
			resp, err := http.Get(doc.SubscribeURL)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					r.once.Do(func() { close(r.confirmed) })
				}
			}
		}()
	case "Notification":
		var m struct {
			Key       string `json:"key"`
			VersionID string `json:"versionId"`
		}
		if json.Unmarshal([]byte(doc.Message), &m) == nil && m.Key != "" {
			now := time.Now()
			r.mu.Lock()
			kv := keyVersion{m.Key, m.VersionID}
			if _, ok := r.byKV[kv]; !ok {
				r.byKV[kv] = now
			}
			r.n++
			r.mu.Unlock()
		}
	}
	w.WriteHeader(http.StatusOK)
}

// notified returns when key@version was first notified.
func (r *receiver) notified(key, version string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.byKV[keyVersion{key, version}]
	return t, ok
}

// subscribe finds the topic by name and subscribes the receiver, waiting for
// the confirmation.
func (r *receiver) subscribe(ctx context.Context, c *sns.Client, topicName string) (string, error) {
	var arn string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() && arn == "" {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list topics: %w", err)
		}
		for _, t := range out.Topics {
			if a := aws.ToString(t.TopicArn); len(a) > len(topicName) && a[len(a)-len(topicName)-1:] == ":"+topicName {
				arn = a
			}
		}
	}
	if arn == "" {
		return "", fmt.Errorf("no topic named %s", topicName)
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String(r.url)}); err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	select {
	case <-r.confirmed:
		return arn, nil
	case <-time.After(30 * time.Second):
		return "", errors.New("the failure topic did not confirm the subscription within 30s")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
