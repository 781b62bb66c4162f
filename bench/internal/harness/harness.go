// Package harness holds what the bench programs share: starting a
// `datamesh serve` process and waiting for it to be ready, reading its
// memory from /proc, and medians.
package harness

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a `datamesh serve` process.
type Server struct {
	Cmd *exec.Cmd
	URL string
	// Ready is the time from starting the process to the first 200 answer
	// of /readyz.
	Ready time.Duration
	log   *os.File
	done  chan error
}

// StartServe runs `bin serve -addr 127.0.0.1:0 [args] dir`, writing its
// log to logPath, reads the URL it prints ("serving DIR at URL") and waits
// until its /readyz answers 200 (polled every millisecond) or timeout
// passes. Letting the server pick its port, rather than choosing a free one
// beforehand, leaves no window for another process to take it.
func StartServe(bin, dir, logPath string, timeout time.Duration, args ...string) (*Server, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	argv := append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)
	argv = append(argv, dir)
	cmd := exec.Command(bin, argv...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	s := &Server{Cmd: cmd, log: logf, done: make(chan error, 1)}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	urls := make(chan string, 1)
	go func() {
		// Pass stdout on to the log; report the first URL.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if _, url, ok := strings.Cut(line, " at http://"); ok && strings.HasPrefix(line, "serving ") {
				select {
				case urls <- "http://" + strings.TrimSpace(url):
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case s.URL = <-urls:
	case err := <-s.done:
		s.done <- err
		logf.Close()
		return nil, fmt.Errorf("datamesh serve %s exited before ready (%v); see %s", dir, err, logPath)
	case <-deadline.C:
		s.Stop()
		return nil, fmt.Errorf("datamesh serve %s printed no URL within %s; see %s", dir, timeout, logPath)
	}
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.Ready = time.Since(began)
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			logf.Close()
			return nil, fmt.Errorf("datamesh serve %s exited before ready (%v); see %s", dir, err, logPath)
		case <-deadline.C:
			s.Stop()
			return nil, fmt.Errorf("datamesh serve %s not ready after %s; see %s", dir, timeout, logPath)
		case <-time.After(time.Millisecond):
		}
	}
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.Cmd.Process.Pid }

// Stop asks the server to shut down (SIGTERM) and kills it after 10 s.
func (s *Server) Stop() error {
	defer s.log.Close()
	s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // a signal ends it; the exit status does not matter here
		}
		return err
	case <-time.After(10 * time.Second):
		s.Cmd.Process.Kill()
		return <-s.done
	}
}

// Memory is a process's memory, from /proc/<pid>/status, in bytes.
type Memory struct {
	HWM int64 // VmHWM: peak resident set size
	RSS int64 // VmRSS: resident set size now
}

// ReadMemory reads the memory of process pid.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "VmHWM":
			dst = &m.HWM
		case "VmRSS":
			dst = &m.RSS
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("/proc/%d/status %s: %w", pid, key, err)
		}
		*dst = kb << 10
	}
	return m, sc.Err()
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// MB formats bytes as mebibytes.
func MB(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

// Rate formats a count per second: 1.23 M/s, 456 k/s.
func Rate(perSec float64) string {
	switch {
	case perSec >= 1e6:
		return fmt.Sprintf("%.2f M/s", perSec/1e6)
	case perSec >= 1e3:
		return fmt.Sprintf("%.0f k/s", perSec/1e3)
	}
	return fmt.Sprintf("%.0f /s", perSec)
}

// CPU returns the user plus system CPU time process pid has used, from
// /proc/<pid>/stat (in clock ticks of 10 ms, the Linux default).
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields follow it.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(rest) // f[0] is field 3 (state); utime is field 14
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// MachineCPU is the machine's CPU time so far, from the first line of
// /proc/stat.
type MachineCPU struct {
	Busy, Idle, Steal time.Duration
}

// ReadMachineCPU reads /proc/stat.
func ReadMachineCPU() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return MachineCPU{}, errors.New("/proc/stat: unexpected format")
	}
	var m MachineCPU
	for i, s := range f[1:9] { // user nice system idle iowait irq softirq steal
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("/proc/stat: %w", err)
		}
		d := time.Duration(v) * 10 * time.Millisecond
		switch i {
		case 3, 4:
			m.Idle += d
		case 7:
			m.Steal += d
		default:
			m.Busy += d
		}
	}
	return m, nil
}

// Sub is the CPU time spent between o and m.
func (m MachineCPU) Sub(o MachineCPU) MachineCPU {
	return MachineCPU{Busy: m.Busy - o.Busy, Idle: m.Idle - o.Idle, Steal: m.Steal - o.Steal}
}
