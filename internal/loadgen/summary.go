package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Summary is the outcome of a load run. Lost, Leaked and Duplicates must be 0.
type Summary struct {
	Keys      int `json:"keys"`
	Uploaded  int `json:"uploaded"` // keys whose upload(s) reached the input bucket
	Photos    int `json:"photos"`
	Hostile   int `json:"hostile"`
	StormKeys int `json:"storm_keys"` // keys uploaded twice within milliseconds

	Clean               int `json:"clean"`                 // verified clean output of the latest version
	RejectedAndNotified int `json:"rejected_and_notified"` // failure notification for the latest version
	Lost                int `json:"lost"`                  // neither
	Leaked              int `json:"leaked"`                // an output with metadata, or an output of a hostile upload
	Duplicates          int `json:"duplicates"`            // extra output versions of one upload
	// PhotosRejected counts valid photos rejected (and notified), e.g. after an
	// injected panic; they are not lost (the notification says how to replay).
	PhotosRejected int `json:"photos_rejected"`
	// WrongOutput counts outputs whose image data differs from a local Strip
	// of the upload, or from the wrong version.
	WrongOutput int `json:"wrong_output"`
	// Unchecked counts outputs the checker could not read (the run's time ran
	// out, or the stack kept failing the reads): neither right nor wrong is
	// known of them, so a run with any is not OK either.
	Unchecked int      `json:"unchecked"`
	Problems  []string `json:"problems,omitempty"` // the first few, key and reason

	ImagesPerSecond float64 `json:"images_per_s"` // settled keys per second of wall time
	MBPerSecond     float64 `json:"mb_per_s"`
	AvgSizeKB       float64 `json:"avg_size_kb"`
	BytesUploaded   int64   `json:"bytes_uploaded"`
	UploadRetries   int64   `json:"upload_retries"`
	UploadSeconds   float64 `json:"upload_s"`
	WallSeconds     float64 `json:"wall_s"`
	LatencyMS       struct {
		P50 float64 `json:"p50"`
		P95 float64 `json:"p95"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"upload_to_clean_ms"`
	// UploadMS is how long the clients' PutObject calls took: the stack's
	// answer to uploads while it works (a paced run offers its rate only as
	// long as enough clients are free).
	UploadMS struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"upload_ms"`

	// StackCPUSeconds is the CPU time the stack used until the last key
	// settled (not the load generator's checks after); CPUMsPerImage divides
	// it by the keys settled, a figure the other load on the machine disturbs
	// less than images/s.
	StackCPUSeconds float64 `json:"stack_cpu_s,omitempty"`
	CPUMsPerImage   float64 `json:"stack_cpu_ms_per_image,omitempty"`
	// LoadCPUMsPerImage is this load generator's own CPU from the first upload
	// until the last key settled (uploads, polling, notifications; not the
	// checks after), per key: it shares the machine with the stack.
	LoadCPUMsPerImage float64 `json:"load_cpu_ms_per_image,omitempty"`
	// OutputPolls counts the checker's passes over the output bucket (each a
	// listing when keys are pending): its own load on the stack.
	OutputPolls int `json:"output_polls"`
	// VerifiedTimes is how many clean keys' latencies end at Verify's audit
	// record (the rest end at their output's LastModified).
	VerifiedTimes int `json:"latency_from_verify_audit"`

	PeakRSSMB float64 `json:"peak_rss_mb"`
	// RSS at the end of each fifth of the run, to show it stays bounded.
	RSSByFifthMB []float64 `json:"rss_by_fifth_mb,omitempty"`
	// The anonymous part of it (heap, stacks): the rest maps files, such as
	// the bbolt databases, which grow with the history kept on disk.
	AnonRSSByFifthMB []float64 `json:"rss_anon_by_fifth_mb,omitempty"`

	ExiftoolChecked  int `json:"exiftool_checked"`
	ExiftoolFindings int `json:"exiftool_findings"`

	Kills        int       `json:"kills"`
	StartSeconds []float64 `json:"stack_start_s,omitempty"`
	Concurrency  int       `json:"concurrency"`
	Rate         float64   `json:"upload_rate_per_s,omitempty"` // pacing of uploads (0: as fast as possible)
	Faults       string    `json:"faults"`
	Prefix       string    `json:"prefix"`

	// Set by the caller for the record.
	Machine string `json:"machine,omitempty"`
	Commit  string `json:"commit,omitempty"`
	When    string `json:"when,omitempty"`
}

// OK reports whether nothing was lost, leaked, duplicated, wrong or left unchecked.
func (s *Summary) OK() bool {
	return s.Lost == 0 && s.Leaked == 0 && s.Duplicates == 0 && s.WrongOutput == 0 && s.Unchecked == 0 && s.Uploaded == s.Keys
}

func (s *Summary) problem(key, format string, a ...any) {
	if len(s.Problems) < 20 {
		s.Problems = append(s.Problems, key+": "+fmt.Sprintf(format, a...))
	}
}

// timing computes throughput and upload→clean latencies.
func (s *Summary) timing(keys []*tracked, start time.Time) {
	var lat []float64
	last := start
	settled := 0
	for _, t := range keys {
		if !t.settled {
			continue
		}
		settled++
		if t.settledAt.After(last) {
			last = t.settledAt
		}
		if t.clean && !t.ended.IsZero() {
			lat = append(lat, max(0, float64(t.settledAt.Sub(t.ended))/float64(time.Millisecond)))
		}
	}
	if d := last.Sub(start).Seconds(); d > 0 {
		s.ImagesPerSecond = float64(settled) / d
		s.MBPerSecond = float64(s.BytesUploaded) / 1e6 / d
	}
	sort.Float64s(lat)
	s.LatencyMS.P50, s.LatencyMS.P95, s.LatencyMS.P99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	if len(lat) > 0 {
		s.LatencyMS.Max = lat[len(lat)-1]
	}
}

func (s *Summary) memory(peak int64, samples []RSSSample) {
	s.PeakRSSMB = float64(peak) / (1 << 20)
	if len(samples) < 5 {
		return
	}
	for i := 1; i <= 5; i++ {
		x := samples[i*len(samples)/5-1]
		s.RSSByFifthMB = append(s.RSSByFifthMB, float64(x.RSS)/(1<<20))
		s.AnonRSSByFifthMB = append(s.AnonRSSByFifthMB, float64(x.Anon)/(1<<20))
	}
}

// WriteJSON writes the summary as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteTable writes the summary as a Markdown table, for bench/results.
func (s *Summary) WriteTable(w io.Writer) error {
	rows := [][2]string{
		{"when", s.When}, {"machine", s.Machine}, {"commit", s.Commit}, {"faults", s.Faults},
		{"keys (photos / hostile / storm)", fmt.Sprintf("%d (%d / %d / %d)", s.Keys, s.Photos, s.Hostile, s.StormKeys)},
		{"uploaded", fmt.Sprint(s.Uploaded)}, {"clean", fmt.Sprint(s.Clean)},
		{"rejected and notified (of them photos)", fmt.Sprintf("%d (%d)", s.RejectedAndNotified, s.PhotosRejected)},
		{"lost", fmt.Sprint(s.Lost)}, {"leaked", fmt.Sprint(s.Leaked)}, {"duplicates", fmt.Sprint(s.Duplicates)},
		{"wrong output", fmt.Sprint(s.WrongOutput)}, {"outputs the checker could not read", fmt.Sprint(s.Unchecked)},
		{"images/s", fmt.Sprintf("%.1f", s.ImagesPerSecond)}, {"MB/s", fmt.Sprintf("%.1f", s.MBPerSecond)},
		{"average size", fmt.Sprintf("%.0f KB", s.AvgSizeKB)},
		{fmt.Sprintf("upload→clean p50 / p95 / p99 / max (%d ending at Verify's audit record)", s.VerifiedTimes),
			fmt.Sprintf("%.0f / %.0f / %.0f / %.0f ms", s.LatencyMS.P50, s.LatencyMS.P95, s.LatencyMS.P99, s.LatencyMS.Max)},
		{"stack CPU (total / per image)", fmt.Sprintf("%.1f s / %.1f ms", s.StackCPUSeconds, s.CPUMsPerImage)},
		{"load generator CPU while running, per image", fmt.Sprintf("%.1f ms", s.LoadCPUMsPerImage)},
		{"peak RSS of the stack", fmt.Sprintf("%.0f MB", s.PeakRSSMB)},
		{"RSS by fifth of the run (of it anonymous)", joinMB(s.RSSByFifthMB) + " (" + joinMB(s.AnonRSSByFifthMB) + ")"},
		{"upload clients / pacing / upload retries", fmt.Sprintf("%d / %s / %d", s.Concurrency, pacing(s.Rate), s.UploadRetries)},
		{"PutObject time p50 / p99", fmt.Sprintf("%.0f / %.0f ms", s.UploadMS.P50, s.UploadMS.P99)},
		{"kills (SIGKILL + restart)", fmt.Sprint(s.Kills)},
		{"exiftool checked / findings", fmt.Sprintf("%d / %d", s.ExiftoolChecked, s.ExiftoolFindings)},
		{"wall time", fmt.Sprintf("%.1f s (uploads %.1f s)", s.WallSeconds, s.UploadSeconds)},
	}
	var b strings.Builder
	b.WriteString("| measure | value |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], strings.ReplaceAll(r[1], "|", "/"))
	}
	for _, p := range s.Problems {
		fmt.Fprintf(&b, "\n- %s", p)
	}
	_, err := io.WriteString(w, b.String()+"\n")
	return err
}

func pacing(rate float64) string {
	if rate <= 0 {
		return "as fast as possible"
	}
	return fmt.Sprintf("%g keys/s", rate)
}

func joinMB(v []float64) string {
	var parts []string
	for _, x := range v {
		parts = append(parts, fmt.Sprintf("%.0f", x))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ") + " MB"
}
