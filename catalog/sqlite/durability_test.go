package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/catalog/client"
	"github.com/datamesh/datamesh/catalog/sqlite"
)

// childEnv names the database a child process publishes to.
const childEnv = "DATAMESH_CATALOG_DURABILITY_DB"

// durableFiles are the files of the child's i-th publish: one descriptor;
// every third publish also has a new version of one shared product, so
// that the latest version and the search index change under the crash too.
func durableFiles(i int) []catalog.File {
	one := func(name, version string) catalog.File {
		return catalog.File{Path: fmt.Sprintf("dur/%s-%s.yaml", name, version), Content: fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: %s
domain: dur
version: %s
title: Product %s %s
description: Published before a crash, number %d.
owner:
  team: durability
tags: [crash, n%d]
inputs:
  - name: raw
    file: data/%s.csv
transform:
  sql: select * from raw
output:
  schema:
    - name: id
      logicalType: string
`, name, version, name, version, i, i, name)}
	}
	files := []catalog.File{one(fmt.Sprintf("p%d", i), "1.0.0")}
	if i%3 == 0 {
		files = append(files, one("shared", fmt.Sprintf("1.%d.0", i)))
	}
	return files
}

// TestDurabilityChild is the child's side: it publishes in a loop and
// prints the index of every publish the catalog acknowledged. It runs only
// when the parent sets childEnv.
func TestDurabilityChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("run by TestDurabilityAfterSIGKILL")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := catalog.New(catalog.Options{Addr: "127.0.0.1:0", Store: st, PublishToken: "t", HeartbeatTTL: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := client.New(srv.URL())
	start := 0
	fmt.Sscanf(os.Getenv(childEnv+"_START"), "%d", &start)
	stop := time.Now().Add(30 * time.Second) // never run on if the parent fails to kill
	for i := start; time.Now().Before(stop); i++ {
		if _, err := c.Publish(ctx, "t", durableFiles(i)); err != nil {
			fmt.Printf("error %d %v\n", i, err)
			os.Exit(3)
		}
		fmt.Printf("ack %d\n", i) // only after the catalog answered 200
		if i%5 == 0 {
			// Nodes register and expire meanwhile.
			np := catalog.NodeProduct{Domain: "dur", Name: fmt.Sprintf("p%d", i), Version: "1.0.0", Title: "x",
				Schema: []catalog.Column{{Name: "id", LogicalType: "string"}}}
			if _, err := c.Register(ctx, catalog.Registration{Name: fmt.Sprintf("n%d", i%3), URL: "http://127.0.0.1:1", Products: []catalog.NodeProduct{np}}); err != nil {
				fmt.Printf("error %d %v\n", i, err)
				os.Exit(3)
			}
		}
	}
	os.Exit(0)
}

// TestDurabilityAfterSIGKILL publishes from a child process, kills it with
// SIGKILL at a random moment, and checks that every acknowledged publish
// survived and that the database is consistent; three times on one file.
func TestDurabilityAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "catalog.db")
	next := 0
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+path, fmt.Sprintf("%s_START=%d", childEnv, next))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := make(chan []int)
		going := make(chan struct{})
		go func() {
			var ids []int
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				var i int
				if _, err := fmt.Sscanf(line, "ack %d", &i); err == nil {
					ids = append(ids, i)
					if len(ids) == 5 {
						close(going)
					}
				} else if strings.HasPrefix(line, "error") {
					t.Errorf("child: %s", line)
				}
			}
			acked <- ids
		}()
		// Once it publishes, let it go on for a random while, then kill it
		// wherever it is.
		select {
		case <-going:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("round %d: the child did not publish within a minute", round)
		}
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		ids := <-acked
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: the child was not killed by SIGKILL: %v", round, err)
		}
		if len(ids) < 5 {
			t.Fatalf("round %d: only %d publishes acknowledged before the kill", round, len(ids))
		}
		checkAcked(t, path, ids)
		t.Logf("round %d: %d publishes acknowledged before SIGKILL, all present", round, len(ids))
		next = ids[len(ids)-1] + 1000 // past anything the child may have written unacknowledged
	}
}

func checkAcked(t *testing.T, path string, ids []int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	for _, i := range ids {
		for _, f := range durableFiles(i) {
			name := strings.TrimPrefix(strings.SplitN(f.Path, "-1.", 2)[0], "dur/")
			version := "1." + strings.TrimSuffix(strings.SplitN(f.Path, "-1.", 2)[1], ".yaml")
			p, err := st.Product(ctx, "dur", name, version)
			if err != nil {
				t.Fatalf("acknowledged publish %d (%s) lost: %v", i, f.Path, err)
			}
			if p.Descriptor != f.Content {
				t.Fatalf("publish %d (%s) stored other content", i, f.Path)
			}
		}
	}
	// The search index agrees with the table.
	res, err := st.Search(ctx, catalog.Query{Terms: []string{"crash"}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.Search(ctx, catalog.Query{Tags: []string{"crash"}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != all.Total || res.Total < len(ids) {
		t.Fatalf("search finds %d products by text, %d by tag, %d acknowledged", res.Total, all.Total, len(ids))
	}
	// And it still takes writes.
	if _, err := st.Publish(ctx, []*catalog.Product{{Domain: "dur", Name: "after", Version: fmt.Sprintf("1.%d.0", ids[len(ids)-1]),
		Source: catalog.SourcePublish, ContentHash: "x"}}, nil); err != nil {
		t.Fatalf("publish after reopening: %v", err)
	}
}
