package console

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
)

// The pages as an operator opens them: the list of 500 executions (inputs cached after the
// first view, as in a running console) and one execution with its graph, history and audit.
func BenchmarkListPage500(b *testing.B) {
	f := newFixture(b, nil)
	f.sfn.pageSize = 100 // as AWS pages
	for i := range 497 {
		f.sfn.addExecution(fmt.Sprintf("bulk-%d", i), fmt.Sprintf("bulk/%04d.jpg", i), "", "", "", false)
	}
	serve := func() {
		r := httptest.NewRequest("GET", "http://127.0.0.1/_console/", nil)
		r.RemoteAddr = "127.0.0.1:1"
		w := httptest.NewRecorder()
		f.con.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	serve()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}

func BenchmarkExecutionPage(b *testing.B) {
	f := newFixture(b, nil)
	target := "http://127.0.0.1/_console/execution?arn=" + url.QueryEscape(f.okARN)
	for b.Loop() {
		r := httptest.NewRequest("GET", target, nil)
		r.RemoteAddr = "127.0.0.1:1"
		w := httptest.NewRecorder()
		f.con.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
