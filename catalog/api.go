package catalog

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/problem"
)

// Handler is the catalog's HTTP API (docs/catalog.md), with Options.UI
// behind every other path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, methods map[string]handlerFunc) {
		mux.Handle(pattern, s.methods(methods))
	}
	get := func(h handlerFunc) map[string]handlerFunc { return map[string]handlerFunc{http.MethodGet: h} }
	route("/api/publish", map[string]handlerFunc{http.MethodPost: s.postPublish})
	route("/api/nodes", map[string]handlerFunc{http.MethodGet: s.getNodes, http.MethodPost: s.postNode})
	route("/api/nodes/{name}", get(s.getNode))
	route("/api/nodes/{name}/heartbeat", map[string]handlerFunc{http.MethodPost: s.postHeartbeat})
	route("/api/products", get(s.getProducts))
	route("/api/products/{domain}/{name}", get(s.getProduct))
	route("/api/products/{domain}/{name}/{version}", get(s.getVersion))
	route("/api/resolve", get(s.getResolve))
	route("/api/resolve/{domain}/{name}", get(s.getResolve))
	route("/api/lineage/{domain}/{name}", get(s.getLineage))
	route("/api/impact/{domain}/{name}", get(s.getImpact))
	route("/api/domains", get(s.getDomains))
	route("/healthz", get(s.healthz))
	route("/readyz", get(s.readyz))
	route("/api/", map[string]handlerFunc{"*": func(w http.ResponseWriter, r *http.Request) error {
		return problem.NotFoundf("no such resource %q; the API is described in docs/catalog.md (start at /api/products)", r.URL.Path)
	}})
	if s.opts.UI != nil {
		mux.Handle("/", s.opts.UI)
	} else {
		route("/", map[string]handlerFunc{"*": func(w http.ResponseWriter, r *http.Request) error {
			if r.URL.Path == "/" {
				return writeJSON(w, http.StatusOK, map[string]any{"service": "datamesh catalog", "links": map[string]string{
					"products": s.URL() + "/api/products", "domains": s.URL() + "/api/domains", "nodes": s.URL() + "/api/nodes"}})
			}
			return problem.NotFoundf("no such resource %q", r.URL.Path)
		}})
	}
	return mux
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// methods dispatches by method ("*" takes any), answers every error as a
// problem and recovers from panics.
func (s *Server) methods(m map[string]handlerFunc) http.Handler {
	var allow []string
	for k := range m {
		if k != "*" {
			allow = append(allow, k)
		}
	}
	slices.Sort(allow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		h, ok := m[method]
		if !ok {
			h, ok = m["*"]
		}
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, problem.New(http.StatusMethodNotAllowed, problem.NotAllowed,
				"%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")))
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "took", time.Since(began))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeError turns an error into a problem document: the one table from
// catalog errors to statuses.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		qe       *QueryError
		invalid  *InvalidError
		cycle    *CycleError
		conflict *PublishConflictError
		tooBig   *http.MaxBytesError
	)
	switch {
	case errors.As(err, &qe):
		s.writeProblem(w, r, problem.Param(qe.Param, allowedFor(qe.Param), "%s: %s", qe.Param, qe.Msg), nil)
	case errors.As(err, &invalid):
		p := problem.New(http.StatusUnprocessableEntity, problem.Invalid, "%s", invalid.Error())
		s.writeProblem(w, r, p, map[string]any{"problems": problemsAt(invalid.Problems)})
	case errors.As(err, &cycle):
		p := problem.New(http.StatusUnprocessableEntity, problem.Invalid, "%s: a product cannot depend on itself, directly or through others", cycle.Error())
		s.writeProblem(w, r, p, map[string]any{"cycles": cycle.Cycles, "problems": problemsAt(cycle.Problems)})
	case errors.As(err, &conflict):
		p := problem.New(http.StatusConflict, problem.Conflict, "%s", conflict.Error())
		s.writeProblem(w, r, p, map[string]any{"conflicts": conflict.Changes})
	case errors.As(err, &tooBig):
		s.writeProblem(w, r, problem.New(http.StatusRequestEntityTooLarge, problem.TooLarge,
			"the body is larger than %d bytes; publish fewer descriptors at once", tooBig.Limit), nil)
	case errors.Is(err, ErrNotFound):
		s.writeProblem(w, r, problem.NotFoundf("%s", err), nil)
	default:
		problem.Write(w, r, s.log, err)
	}
}

// writeProblem writes p with extension members, as problem.Write does.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, p *problem.Error, ext map[string]any) {
	if len(ext) == 0 {
		problem.Write(w, r, s.log, p)
		return
	}
	out := *p
	if !strings.Contains(out.Type, ":") {
		out.Type = problem.TypeBase + out.Type
	}
	out.Instance = r.URL.Path
	b, err := json.Marshal(out)
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	doc := map[string]any{}
	if err := json.Unmarshal(b, &doc); err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	for k, v := range ext {
		doc[k] = v
	}
	h := w.Header()
	h.Set("Content-Type", problem.ContentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(out.Status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(doc)
}

func allowedFor(param string) string {
	switch param {
	case "q":
		return "free text, \"phrases\" and filters " + fieldList()
	case "status":
		return strings.Join(Statuses, ", ")
	case "limit":
		return fmt.Sprintf("1 to %d", MaxLimit)
	case "direction":
		return "upstream, downstream, both"
	case "depth":
		return fmt.Sprintf("1 to %d", MaxLineageDepth)
	case "ref":
		return "domain/name@range, e.g. geo/airports@^1"
	case "range":
		return "a semver range: ^1, ~1.2, >=1.1 <2, 1.4.0"
	case "version":
		return "a semantic version, e.g. 1.2.0"
	}
	return ""
}

// authorize checks a bearer token.
func authorize(r *http.Request, token, what string) error {
	if token == "" {
		return nil
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
		return problem.New(http.StatusUnauthorized, problem.Unauthorized, "%s needs the header Authorization: Bearer <token>, with the token the catalog was started with", what)
	}
	return nil
}

func (s *Server) postPublish(w http.ResponseWriter, r *http.Request) error {
	if s.opts.PublishToken == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="datamesh catalog"`)
		return problem.New(http.StatusUnauthorized, problem.Unauthorized, "publishing is disabled: this catalog was started without a publish token")
	}
	if err := authorize(r, s.opts.PublishToken, "publishing"); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="datamesh catalog"`)
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var files []File
	switch ct := mediaType(r); ct {
	case "application/json", "":
		var req PublishRequest
		if err := strictJSON(body, &req); err != nil {
			return err
		}
		files = req.Files
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		path := r.URL.Query().Get("path")
		if path == "" {
			path = "descriptor.yaml"
		}
		files = []File{{Path: path, Content: string(body)}}
	default:
		return &problem.Error{Status: http.StatusUnsupportedMediaType, Type: "unsupported-media-type", Title: "Unsupported media type",
			Detail: fmt.Sprintf("Content-Type %q is not read here: send application/json ({\"files\": [...]}) or application/yaml (one descriptor)", ct)}
	}
	res, err := s.Publish(r.Context(), files)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

// readBody reads a body of at most MaxBodyBytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, &http.MaxBytesError{Limit: s.opts.MaxBodyBytes}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, problem.New(http.StatusBadRequest, problem.BadParameter, "cannot read the body: %v", err)
	}
	return b, nil
}

// strictJSON decodes one JSON value, reporting where it is wrong.
func strictJSON(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return problem.New(http.StatusBadRequest, problem.BadParameter, "the body is empty: send a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return problem.New(http.StatusBadRequest, problem.BadParameter, "the body is not JSON (at byte %d): %v", se.Offset, err)
		case errors.As(err, &te):
			return problem.New(http.StatusBadRequest, problem.BadParameter, "the body's field %q must be %s, not JSON %s", te.Field, te.Type, te.Value)
		}
		return problem.New(http.StatusBadRequest, problem.BadParameter, "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return problem.New(http.StatusBadRequest, problem.BadParameter, "the body holds more than one JSON value")
	}
	return nil
}

func (s *Server) postNode(w http.ResponseWriter, r *http.Request) error {
	if err := authorize(r, s.opts.NodeToken, "registering a node"); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var reg Registration
	if err := strictJSON(body, &reg); err != nil {
		return err
	}
	res, err := s.RegisterNode(r.Context(), reg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) postHeartbeat(w http.ResponseWriter, r *http.Request) error {
	if err := authorize(r, s.opts.NodeToken, "a heartbeat"); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var hb Heartbeat
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := strictJSON(body, &hb); err != nil {
			return err
		}
	}
	name := r.PathValue("name")
	err = s.Heartbeat(r.Context(), name, hb)
	if errors.Is(err, ErrNotFound) {
		return problem.NotFoundf("node %q is not registered: register it again (POST /api/nodes)", name)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"node": name, "status": "available", "ttl": s.opts.HeartbeatTTL.String()})
}

func (s *Server) getNodes(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.Nodes(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": ns})
}

func (s *Server) getNode(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Node(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

func (s *Server) getProducts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sp := SearchParams{Q: q.Get("q"), Domains: q["domain"], Owners: q["owner"], Tags: q["tag"], Statuses: q["status"]}
	var err error
	if sp.Limit, err = intParam(q.Get("limit"), "limit"); err != nil {
		return err
	}
	if sp.Offset, err = intParam(q.Get("offset"), "offset"); err != nil {
		return err
	}
	if sp.Limit == 0 && q.Get("limit") != "" {
		return &QueryError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	res, err := s.Search(r.Context(), sp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func intParam(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &QueryError{name, fmt.Sprintf("%q is not a whole number", v)}
	}
	return n, nil
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Product(r.Context(), r.PathValue("domain"), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := s.ProductVersion(r.Context(), r.PathValue("domain"), r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getResolve(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var (
		ref descriptor.Ref
		err error
	)
	if domain := r.PathValue("domain"); domain != "" {
		rng := q.Get("range")
		if strings.TrimSpace(rng) == "" {
			rng = "*"
		}
		if ref, err = descriptor.ParseRef(domain + "/" + r.PathValue("name") + "@" + rng); err != nil {
			if !descriptor.NamePattern.MatchString(domain) || !descriptor.NamePattern.MatchString(r.PathValue("name")) {
				return problem.NotFoundf("no product %s/%s: product names are lowercase words with dashes", domain, r.PathValue("name"))
			}
			return &QueryError{"range", err.Error()}
		}
	} else {
		s := q.Get("ref")
		if s == "" {
			return &QueryError{"ref", "is required: /api/resolve?ref=domain/name@range, or /api/resolve/{domain}/{name}?range="}
		}
		if !strings.Contains(s, "@") {
			s += "@*"
		}
		if ref, err = descriptor.ParseRef(s); err != nil {
			return &QueryError{"ref", err.Error()}
		}
	}
	res, err := s.Resolve(r.Context(), ref)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) getLineage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	depth, err := intParam(q.Get("depth"), "depth")
	if err != nil {
		return err
	}
	if depth == 0 && q.Get("depth") != "" {
		return &QueryError{"depth", fmt.Sprintf("must be between 1 and %d", MaxLineageDepth)}
	}
	g, err := s.Lineage(r.Context(), r.PathValue("domain"), r.PathValue("name"), q.Get("direction"), depth)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g)
}

func (s *Server) getImpact(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.Impact(r.Context(), r.PathValue("domain"), r.PathValue("name"), r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) getDomains(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.Domains(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": ds})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		return problem.New(http.StatusServiceUnavailable, problem.Unavailable, "the catalog is shutting down")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("store unreachable", "err", err)
		return problem.New(http.StatusServiceUnavailable, problem.Unavailable, "the catalog's store does not answer")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
