package openapi

import "github.com/datamesh/datamesh/descriptor"

// The serving modes' endpoints (docs/protocol.md: jobs, refresh, streams,
// metrics), described next to the data endpoints they complement.

// servingPaths adds a product's jobs endpoint, and its refresh endpoint when
// it is materialized, and its stream when it follows an event stream.
func (d *docBuilder) servingPaths(p Product, base string, tags []string) {
	accepted := map[string]any{
		"description": "Accepted: the job runs; `Location` is /jobs/{id}, poll it.",
		"headers": map[string]any{
			"Location":    map[string]any{"schema": map[string]any{"type": "string", "format": "uri-reference"}},
			"Retry-After": ref("#/components/headers/Retry-After"),
		},
		"content": jsonContent(ref(refSch + "Job")),
	}
	d.paths[p.Path()+"/jobs"] = map[string]any{"post": d.op("submit"+base+"Job", p.title()+" (asynchronous job)",
		"Computes the same answer as GET data, with the same parameters (in the query string, or a JSON body "+
			"`{\"params\": {...}, \"format\": \"csv\"}`), as an asynchronous job: request, poll, fetch.",
		tags, merge(map[string]any{
			"202": accepted,
			"429": problemResponse("Too many jobs are running or waiting; retry after `Retry-After` seconds.",
				map[string]any{"Retry-After": ref("#/components/headers/Retry-After")}),
		}, errorResponses("400", "404", "500", "503")))}
	if p.Mode == descriptor.ModeMaterialized {
		d.paths[p.Path()+"/refresh"] = map[string]any{"post": d.op("refresh"+base, p.title()+" (refresh the snapshot)",
			"Starts a refresh of the materialized snapshot now; its progress shows in the product's self-description.",
			tags, merge(map[string]any{
				"202": map[string]any{"description": "The refresh started (or was already running).", "content": jsonContent(map[string]any{"type": "object"})},
			}, errorResponses("404", "500")))}
	}
	if p.Stream {
		d.paths[p.Path()+"/stream"] = map[string]any{"get": d.op("follow"+base, p.title()+" (live events)",
			"Server-Sent Events following the product's event stream: `id` is the stream sequence, `event: row`, "+
				"`data` the event as JSON. Send `Last-Event-ID` to resume after an event.",
			tags, merge(map[string]any{
				"200": map[string]any{"description": "The events, as they come.",
					"content": map[string]any{"text/event-stream": map[string]any{"schema": map[string]any{"type": "string"}}}},
			}, errorResponses("400", "404", "500", "503")))}
	}
}

// jobPaths adds the node-wide job and metrics endpoints.
func (d *docBuilder) jobPaths() {
	node := []string{tagNode}
	id := []any{map[string]any{"name": "id", "in": "path", "required": true, "description": "The job's id.",
		"schema": map[string]any{"type": "string"}}}
	d.paths["/jobs/{id}"] = map[string]any{
		"parameters": id,
		"get": d.op("getJob", "A job's status",
			"The job's status while it is queued or running; `303 See Other` to its result once done. "+
				"`Prefer: wait=N` waits up to N seconds for it to end.",
			node, merge(map[string]any{
				"200": map[string]any{"description": "Not done yet, failed or cancelled.", "content": jsonContent(ref(refSch + "Job"))},
				"303": map[string]any{"description": "Done: `Location` is the result."},
				"410": problemResponse("The job's result expired.", nil),
			}, errorResponses("404", "500"))),
		"delete": d.op("cancelJob", "Cancel a job", "", node, merge(map[string]any{
			"200": map[string]any{"description": "Cancelled.", "content": jsonContent(ref(refSch + "Job"))},
		}, errorResponses("404", "500"))),
	}
	d.paths["/jobs/{id}/result"] = map[string]any{
		"parameters": id,
		"get": d.op("getJobResult", "A job's result",
			"The result in any data format (`Accept` or `format`); 202 with the status while the job is not done.",
			node, merge(map[string]any{
				"200": map[string]any{"description": "The rows.", "content": map[string]any{
					"application/json":                    map[string]any{"schema": map[string]any{"type": "array"}},
					"application/x-ndjson":                map[string]any{"schema": map[string]any{"type": "string"}},
					"text/csv":                            map[string]any{"schema": map[string]any{"type": "string"}},
					"application/vnd.apache.arrow.stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
					"application/vnd.apache.parquet":      map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
				}},
				"202": map[string]any{"description": "Not done yet.", "content": jsonContent(ref(refSch + "Job"))},
				"409": problemResponse("The job failed or was cancelled.", nil),
				"410": problemResponse("The job's result expired.", nil),
			}, errorResponses("404", "406", "500"))),
	}
	d.paths["/metrics"] = map[string]any{"get": d.op("getMetrics", "Prometheus metrics",
		"Requests, latency, rows and bytes per product, version and format; refreshes; jobs; SLA measurements.",
		node, map[string]any{
			"200": map[string]any{"description": "Metrics in the Prometheus text format.",
				"content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}},
		})}
}

// jobSchema is a job's status document.
func jobSchema() map[string]any {
	str := map[string]any{"type": "string"}
	when := map[string]any{"type": "string", "format": "date-time"}
	return map[string]any{
		"type":     "object",
		"required": []any{"id", "status"},
		"properties": map[string]any{
			"id":       str,
			"product":  str,
			"status":   map[string]any{"type": "string", "enum": []any{"queued", "running", "done", "failed", "cancelled"}},
			"rows":     map[string]any{"type": "integer"},
			"created":  when,
			"started":  when,
			"finished": when,
			"expires":  when,
			"error":    ref(refSch + "Problem"),
		},
	}
}
