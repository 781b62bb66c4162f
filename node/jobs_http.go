//go:build duckdb_arrow

package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/format"
	"github.com/datamesh/datamesh/problem"
)

// jobBody is the JSON body a job may be submitted with.
type jobBody struct {
	// Params are the data endpoint's parameters: a string, or a list for
	// a parameter given several times.
	Params map[string]json.RawMessage `json:"params"`
	Format string                     `json:"format"`
}

const maxJobBody = 1 << 20

// postJob answers POST /products/{name}/v{major}/jobs: the parameters of
// the data endpoint, in the query string or a JSON body, become a job.
// It answers 202 Accepted with Location: /jobs/{id}.
func (n *Node) postJob(w http.ResponseWriter, r *http.Request) error {
	p, err := n.lookup(r)
	if err != nil {
		return err
	}
	params := r.URL.Query()
	def := params.Get("format")
	body, err := readJobBody(w, r)
	if err != nil {
		return err
	}
	for k, vs := range body.params {
		params[k] = append(params[k], vs...)
	}
	if body.format != "" {
		def = body.format
	}
	if def == "" {
		def = format.JSON.Name
	}
	f, ok := format.ByName(def)
	if !ok {
		_, err := format.Negotiate("", def)
		return err
	}
	return n.submitJob(w, r, p, params, f.Name)
}

type parsedBody struct {
	params url.Values
	format string
}

func readJobBody(w http.ResponseWriter, r *http.Request) (parsedBody, error) {
	var out parsedBody
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJobBody))
	if err != nil {
		return out, problem.New(http.StatusRequestEntityTooLarge, problem.TooLarge, "the body is larger than %d bytes", maxJobBody)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return out, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return out, problem.New(http.StatusUnsupportedMediaType, problem.Invalid,
				"a job's body is application/json, not %q; or give the parameters in the query string", mt)
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var b jobBody
	if err := dec.Decode(&b); err != nil {
		return out, problem.New(http.StatusBadRequest, problem.Invalid,
			`the body is not a job: %v; write {"params": {"column": "op.value", ...}, "format": "csv"}`, err)
	}
	out.params, out.format = url.Values{}, b.Format
	for k, raw := range b.Params {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			out.params.Add(k, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return out, problem.Param(k, "a string, or a list of strings", "params.%s: must be a string or a list of strings", k)
		}
		out.params[k] = append(out.params[k], many...)
	}
	return out, nil
}

// submitJob checks the parameters as the data endpoint would and queues
// a job: 202 with Location and Retry-After, the job's status in the body.
func (n *Node) submitJob(w http.ResponseWriter, r *http.Request, p *engine.Product, params url.Values, def string) error {
	req, err := n.parseQuery(p, params)
	if err != nil {
		return err
	}
	jm := n.serving.jobs
	j, err := jm.submit(p, params, req, def)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", "/jobs/"+j.ID)
	h.Set("Retry-After", "1")
	h.Del("Content-Disposition")
	return writeJSON(w, http.StatusAccepted, jm.view(j))
}

// findJob returns the job of the path, or a 404, or a 410 once expired.
func (n *Node) findJob(r *http.Request) (*job, error) {
	id := r.PathValue("id")
	j, gone := n.serving.jobs.get(id)
	if gone {
		return nil, &problem.Error{Status: http.StatusGone, Type: "gone", Title: "Gone",
			Detail: fmt.Sprintf("job %s finished more than %s ago: its result was deleted", id, n.serving.opts.JobTTL)}
	}
	if j == nil {
		return nil, problem.NotFoundf("no job %q on this node", id)
	}
	return j, nil
}

// getJob answers GET /jobs/{id}: the job's status, or 303 See Other to
// its result once done. With "Prefer: wait=N" it waits up to N seconds
// (at most 60) for the job to finish.
func (n *Node) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := n.findJob(r)
	if err != nil {
		return err
	}
	if wait := preferWait(r); wait > 0 {
		n.waitJob(r, j, wait)
		w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(wait/time.Second)))
	}
	v := n.serving.jobs.view(j)
	if v.State == jobDone {
		w.Header().Set("Location", "/jobs/"+v.ID+"/result")
		return writeJSON(w, http.StatusSeeOther, v)
	}
	if !v.finished() {
		w.Header().Set("Retry-After", "1")
	}
	return writeJSON(w, http.StatusOK, v)
}

// waitJob waits until the job finishes, wait passes, the client goes or
// the node begins to shut down (which waits for requests in flight).
func (n *Node) waitJob(r *http.Request, j *job, wait time.Duration) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !n.draining.Load() {
		select {
		case <-j.done:
			return
		case <-timer.C:
			return
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// preferWait reads "Prefer: wait=N" (RFC 7240).
func preferWait(r *http.Request) time.Duration {
	for _, h := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(h, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(pref), "wait="); ok {
				if s, err := strconv.Atoi(v); err == nil && s > 0 {
					return time.Duration(min(s, 60)) * time.Second
				}
			}
		}
	}
	return 0
}

// deleteJob answers DELETE /jobs/{id}: a job that has not finished is
// cancelled (200, its status); a finished one is deleted with its result
// (204).
func (n *Node) deleteJob(w http.ResponseWriter, r *http.Request) error {
	j, err := n.findJob(r)
	if err != nil {
		return err
	}
	jm := n.serving.jobs
	if !jm.cancel(j) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return writeJSON(w, http.StatusOK, jm.view(j))
}

// getJobResult answers GET /jobs/{id}/result: the result in the format of
// format= or Accept, or else the one the job was submitted with. Before the
// job is done it answers 202 with the job's status; a failed or cancelled
// job's result is a 409.
func (n *Node) getJobResult(w http.ResponseWriter, r *http.Request) error {
	j, err := n.findJob(r)
	if err != nil {
		return err
	}
	jm := n.serving.jobs
	v := jm.view(j)
	switch v.State {
	case jobQueued, jobRunning:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Location", "/jobs/"+v.ID)
		return writeJSON(w, http.StatusAccepted, v)
	case jobFailed, jobCancelled:
		detail := "it was cancelled"
		if v.Error != nil {
			detail = "it failed: " + v.Error.Detail
		}
		return problem.New(http.StatusConflict, problem.Conflict, "job %s has no result: %s", v.ID, detail)
	}
	param := r.URL.Query().Get("format")
	accept := r.Header.Get("Accept")
	if param == "" && (accept == "" || accept == "*/*") {
		param = v.Format
	}
	f, err := format.Negotiate(accept, param)
	if err != nil {
		return err
	}
	h := w.Header()
	etag := `"job-` + v.ID + "-" + f.Name + `"`
	h.Set("ETag", etag)
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(int64(max(v.Expires.Sub(n.now()), 0)/time.Second), 10))
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	file, err := os.Open(filepath.Join(j.dir, resultFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return problem.NotFoundf("job %s has no result any more", v.ID)
		}
		return err
	}
	defer file.Close()
	rr, err := ipc.NewReader(file)
	if err != nil {
		return err
	}
	defer rr.Release()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d-%s%s"`, v.Name, v.Major, v.ID, f.Ext))
	if f == format.Parquet {
		_, err := n.engine.CopyParquetFrom(r.Context(), rr, w)
		return err
	}
	fw, err := format.NewWriter(f, w, rr.Schema())
	if err != nil {
		return err
	}
	rows, err := format.Copy(fw, rr)
	if err != nil {
		return abort(rows > 0, err)
	}
	return fw.Close()
}
