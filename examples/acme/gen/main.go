// Command gen writes the demo company's domain data: deterministic, so that
// tests can check figures against it, and realistic enough to explore.
//
//	go run ./examples/acme/gen            # the committed size
//	go run ./examples/acme/gen -scale 20  # 20 times more customers, orders, shipments and campaigns
//
// ACME sells meeting-room software by subscription, in four plans (Starter,
// Team, Business, Enterprise). Every unit sold comes with a room kit (a door
// display and occupancy sensors) shipped from one of three warehouses. The
// data ends on the reference day 2024-12-31, which products that look at
// "the last days" use instead of today, so that their answers never change.
//
// Every domain draws from its own random stream, so that changing how one
// domain is generated leaves the others' files as they were, except where a
// domain derives from another's records (shipments from orders, budgets from
// revenue, stock from recent demand).
package main

import (
	"cmp"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

// refDay is the last day of the data: what "today" is for the demo.
var refDay = day(2024, 12, 31)

// The orders of the sales database start here.
var salesStart = day(2023, 1, 1)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type office struct {
	id            int
	city, country string
	opened        string
	employees     int
	incentiveRate float64
	warehouse     string   // where its customers' kits ship from
	markets       []string // countries its campaigns target
}

var offices = []office{
	{1, "Berlin", "DE", "2015-03-01", 42, 0.04, "AMS", []string{"DE", "AT", "CH"}},
	{2, "London", "GB", "2012-09-15", 55, 0.05, "AMS", []string{"GB", "IE"}},
	{3, "Paris", "FR", "2017-01-10", 31, 0.03, "AMS", []string{"FR", "BE", "LU"}},
	{4, "Madrid", "ES", "2019-06-01", 18, 0.03, "AMS", []string{"ES", "PT"}},
	{5, "New York", "US", "2011-04-20", 64, 0.06, "EWR", []string{"US"}},
	{6, "Austin", "US", "2020-02-03", 22, 0.04, "EWR", []string{"US", "MX"}},
	{7, "Toronto", "CA", "2018-11-05", 19, 0.035, "EWR", []string{"CA"}},
	{8, "Singapore", "SG", "2016-08-22", 27, 0.045, "SIN", []string{"SG", "MY", "ID", "AU"}},
}

// The plans ACME sells: list price of one unit (a room) per year, and the
// share of new contracts that choose it.
var plans = []struct {
	name     string
	price    float64
	weight   float64
	maxUnits int
	kit      string
	kitName  string
}{
	{"Starter", 290, 40, 3, "KIT-S1", "Starter kit: door display"},
	{"Team", 1490, 35, 5, "KIT-T2", "Team kit: door display and 2 occupancy sensors"},
	{"Business", 4900, 18, 5, "KIT-B4", "Business kit: door display, 4 sensors and a hub"},
	{"Enterprise", 18900, 7, 3, "KIT-E8", "Enterprise kit: 2 displays, 8 sensors, hub and spares"},
}

var (
	firstNames  = []string{"Ada", "Ben", "Chloe", "Dev", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kai", "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wen", "Yara", "Zoe"}
	lastNames   = []string{"Schmidt", "Smith", "Martin", "Garcia", "Johnson", "Tan", "Brown", "Rossi", "Khan", "Novak", "Silva", "Lee", "Meyer", "Dubois", "Lopez", "Chen"}
	departments = []string{"sales", "sales", "sales", "engineering", "support", "marketing", "finance"}
)

func main() {
	out := flag.String("out", "examples/acme", "mesh folder to write the domains' data into")
	scale := flag.Int("scale", 1, "multiplies the number of customers, orders, shipments and campaigns (1: 1,500 customers, 6,000 orders)")
	flag.Parse()
	if *scale < 1 {
		log.Fatal("-scale must be at least 1")
	}
	if err := generate(*out, *scale); err != nil {
		log.Fatal(err)
	}
}

// stream returns the random stream of one domain.
func stream(domain uint64) *rand.Rand { return rand.New(rand.NewPCG(2024, domain)) }

func generate(out string, scale int) error {
	dir := func(domain string, parts ...string) string {
		return filepath.Join(append([]string{out, domain, "data"}, parts...)...)
	}
	staff := genEmployees(stream(11))
	if err := writeOffices(dir("hr", "offices.csv")); err != nil {
		return err
	}
	if err := writeEmployees(dir("hr", "employees.csv"), staff); err != nil {
		return err
	}
	customers := genCustomers(stream(21), 1500*scale)
	if err := writeContracts(dir("legal", "contracts"), customers); err != nil {
		return err
	}
	orders := genOrders(stream(31), customers, staff, 6000*scale)
	if err := writeOrders(dir("sales", "sales.db"), orders); err != nil {
		return err
	}
	if err := writeShipments(dir("shipping", "shipments.ndjson"), genShipments(stream(41), orders)); err != nil {
		return err
	}
	if err := writeCampaigns(dir("marketing", "campaigns.json"), genCampaigns(stream(51), scale)); err != nil {
		return err
	}
	if err := writeBudget(dir("finance", "budget.csv"), orders); err != nil {
		return err
	}
	return writeStock(dir("inventory", "stock.csv"), orders)
}

func create(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.Create(path)
}

func writeCSV(path string, rows [][]string) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

func money(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func cents(x float64) float64 { return math.Round(x*100) / 100 }

// pick returns an index drawn with the given weights.
func pick(rng *rand.Rand, weights []float64) int {
	var total float64
	for _, w := range weights {
		total += w
	}
	x := rng.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func planWeights() []float64 {
	w := make([]float64, len(plans))
	for i, p := range plans {
		w[i] = p.weight
	}
	return w
}

func officeWeights() []float64 {
	w := make([]float64, len(offices))
	for i, o := range offices {
		w[i] = float64(o.employees)
	}
	return w
}

func quarterOf(t time.Time) string { return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3) }

// ---- hr ----

type employee struct {
	id, office   int
	name, dept   string
	hired, left  time.Time // left: zero while employed
	officeOpened time.Time
}

func (e employee) employedOn(t time.Time) bool {
	return !e.hired.After(t) && (e.left.IsZero() || !e.left.Before(t))
}

func writeOffices(path string) error {
	rows := [][]string{{"office_id", "city", "country", "opened", "incentive_rate"}}
	for _, o := range offices {
		rows = append(rows, []string{strconv.Itoa(o.id), o.city, o.country, o.opened, strconv.FormatFloat(o.incentiveRate, 'f', -1, 64)})
	}
	return writeCSV(path, rows)
}

// genEmployees staffs every office: hires spread from the office's opening
// to late 2024, more of them recently (the company grows), and about one in
// nine has left.
func genEmployees(rng *rand.Rand) []employee {
	var staff []employee
	id := 1000
	lastHire := day(2024, 11, 29)
	for _, o := range offices {
		opened, _ := time.Parse(time.DateOnly, o.opened)
		span := lastHire.Sub(opened).Hours() / 24
		for range o.employees {
			id++
			dept := departments[rng.IntN(len(departments))]
			hired := opened.AddDate(0, 0, int(span*math.Sqrt(rng.Float64())))
			var left time.Time
			if rng.IntN(9) == 0 {
				left = hired.AddDate(0, 3+rng.IntN(30), rng.IntN(28))
				if left.After(refDay) {
					left = time.Time{}
				}
			}
			name := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
			staff = append(staff, employee{id: id, office: o.id, name: name, dept: dept, hired: hired, left: left, officeOpened: opened})
		}
	}
	return staff
}

func writeEmployees(path string, staff []employee) error {
	rows := [][]string{{"employee_id", "name", "office_id", "department", "hired", "left"}}
	for _, e := range staff {
		left := ""
		if !e.left.IsZero() {
			left = date(e.left)
		}
		rows = append(rows, []string{strconv.Itoa(e.id), e.name, strconv.Itoa(e.office), e.dept, date(e.hired), left})
	}
	return writeCSV(path, rows)
}

// ---- legal: customers and their contracts ----

type contract struct {
	id         string
	customer   *customer
	plan       int
	units      int
	signed     time.Time
	starts     time.Time
	term       int // months
	value      float64
	autoRenew  bool
	renewalNum int
}

func (c *contract) ends() time.Time { return c.starts.AddDate(0, c.term, 0) }

type customer struct {
	id        string
	office    int // index into offices
	since     time.Time
	until     time.Time // zero: still a customer on refDay
	contracts []*contract
}

func (c *customer) activeOn(t time.Time) bool {
	return !c.since.After(t) && (c.until.IsZero() || t.Before(c.until))
}

// planOn is the plan of the contract running on t.
func (c *customer) planOn(t time.Time) int {
	p := c.contracts[0].plan
	for _, k := range c.contracts {
		if !k.starts.After(t) {
			p = k.plan
		}
	}
	return p
}

func weekday(t time.Time) time.Time {
	switch t.Weekday() {
	case time.Saturday:
		return t.AddDate(0, 0, 2)
	case time.Sunday:
		return t.AddDate(0, 0, 1)
	}
	return t
}

// genCustomers signs customers from 2021 on, more every year, each with a
// first contract and its renewals until it churns or runs past refDay.
func genCustomers(rng *rand.Rand, n int) []*customer {
	first := day(2021, 1, 4)
	span := refDay.AddDate(0, 0, -10).Sub(first).Hours() / 24
	ow, pw := officeWeights(), planWeights()
	customers := make([]*customer, n)
	for i := range customers {
		c := &customer{id: fmt.Sprintf("C%05d", i+1), office: pick(rng, ow)}
		c.since = weekday(first.AddDate(0, 0, int(span*math.Sqrt(rng.Float64()))))
		plan := pick(rng, pw)
		units := 1 + rng.IntN(plans[plan].maxUnits)
		k := &contract{customer: c, plan: plan, units: units, signed: c.since, starts: c.since,
			term: []int{12, 12, 12, 24, 24, 36}[rng.IntN(6)], autoRenew: rng.IntN(10) < 7}
		k.value = cents(float64(units) * plans[plan].price * (0.85 + 0.15*rng.Float64()))
		c.contracts = append(c.contracts, k)
		for k.ends().Before(refDay) || k.ends().Equal(refDay) {
			renews := 0.8
			if k.autoRenew {
				renews = 0.93
			}
			if rng.Float64() >= renews {
				c.until = k.ends()
				break
			}
			next := &contract{customer: c, plan: k.plan, units: k.units, starts: k.ends(), term: k.term,
				autoRenew: k.autoRenew, renewalNum: k.renewalNum + 1}
			switch r := rng.IntN(100); {
			case r < 12 && next.plan < len(plans)-1:
				next.plan++
			case r < 16 && next.plan > 0:
				next.plan--
			case r < 40 && next.units < plans[next.plan].maxUnits+3:
				next.units++
			}
			next.signed = next.starts
			if !k.autoRenew {
				next.signed = weekday(next.starts.AddDate(0, 0, -3-rng.IntN(40)))
			}
			next.value = cents(float64(next.units) * plans[next.plan].price * 1.04 * (0.85 + 0.15*rng.Float64()))
			c.contracts = append(c.contracts, next)
			k = next
		}
		customers[i] = c
	}
	return customers
}

// writeContracts writes one CSV per year the contracts were signed in,
// numbering them in the order they were signed.
func writeContracts(dir string, customers []*customer) error {
	var all []*contract
	for _, c := range customers {
		all = append(all, c.contracts...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].signed.Equal(all[j].signed) {
			return all[i].signed.Before(all[j].signed)
		}
		return all[i].customer.id < all[j].customer.id
	})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "contracts-*.csv"))
	for _, f := range old {
		os.Remove(f)
	}
	header := []string{"contract_id", "customer", "office_id", "plan", "units", "signed", "starts", "term_months", "annual_value", "auto_renew"}
	byYear := map[int][][]string{}
	var years []int
	seq := map[int]int{}
	for _, k := range all {
		y := k.signed.Year()
		if _, ok := byYear[y]; !ok {
			years = append(years, y)
			byYear[y] = [][]string{header}
		}
		seq[y]++
		k.id = fmt.Sprintf("K%d-%05d", y, seq[y])
		byYear[y] = append(byYear[y], []string{k.id, k.customer.id, strconv.Itoa(offices[k.customer.office].id),
			plans[k.plan].name, strconv.Itoa(k.units), date(k.signed), date(k.starts), strconv.Itoa(k.term),
			money(k.value), strconv.FormatBool(k.autoRenew)})
	}
	for _, y := range years {
		if err := writeCSV(filepath.Join(dir, fmt.Sprintf("contracts-%d.csv", y)), byYear[y]); err != nil {
			return err
		}
	}
	return nil
}

// ---- sales ----

type order struct {
	id       int
	placed   time.Time
	customer *customer
	office   int // index into offices
	employee int // 0: a web order
	plan     int
	qty      int
	amount   float64
	status   string
}

// seasonality of orders by month: quarter ends are strong, August and the
// turn of the year weak.
var seasonality = [12]float64{0.8, 0.9, 1.15, 0.95, 1.0, 1.15, 0.9, 0.7, 1.05, 1.05, 1.1, 1.2}

// dayWeight is how busy a day is, relative to the others.
func dayWeight(t time.Time) float64 {
	w := 1 + 0.35*t.Sub(salesStart).Hours()/24/365 // growth
	w *= seasonality[t.Month()-1]
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		w *= 0.25
	}
	if (t.Month() == 12 && t.Day() >= 24) || (t.Month() == 1 && t.Day() == 1) {
		w *= 0.3
	}
	return w
}

// genOrders places n orders between salesStart and refDay, each by a
// customer under contract that day, mostly on its contract's plan, and
// mostly credited to a sales person of the customer's office.
func genOrders(rng *rand.Rand, customers []*customer, staff []employee, n int) []order {
	var days []time.Time
	var cum []float64
	total := 0.0
	for d := salesStart; !d.After(refDay); d = d.AddDate(0, 0, 1) {
		total += dayWeight(d)
		days = append(days, d)
		cum = append(cum, total)
	}
	placed := make([]time.Time, n)
	for i := range placed {
		x := rng.Float64() * total
		placed[i] = days[sort.SearchFloat64s(cum, x)]
	}
	slices.SortFunc(placed, func(a, b time.Time) int { return a.Compare(b) })

	byOffice := make([][]*customer, len(offices))
	for _, c := range customers {
		byOffice[c.office] = append(byOffice[c.office], c)
	}
	salesStaff := make([][]employee, len(offices))
	for _, e := range staff {
		if e.dept == "sales" {
			salesStaff[e.office-1] = append(salesStaff[e.office-1], e)
		}
	}
	ow, pw := officeWeights(), planWeights()
	orders := make([]order, n)
	for i, t := range placed {
		oi := pick(rng, ow)
		var c *customer
		for range 100 {
			if k := byOffice[oi][rng.IntN(len(byOffice[oi]))]; k.activeOn(t) {
				c = k
				break
			}
		}
		for c == nil { // a small office on a quiet day: any customer will do
			if k := customers[rng.IntN(len(customers))]; k.activeOn(t) {
				c, oi = k, k.office
			}
		}
		p := c.planOn(t)
		if rng.IntN(4) == 0 {
			p = pick(rng, pw)
		}
		qty := 1 + rng.IntN(plans[p].maxUnits)
		o := order{id: i + 1, placed: t, customer: c, office: oi, plan: p, qty: qty,
			amount: math.Trunc(float64(qty)*plans[p].price*(0.9+rng.Float64()*0.2)*100) / 100, status: "paid"}
		if rng.IntN(5) > 0 {
			var on []int
			for _, e := range salesStaff[oi] {
				if e.employedOn(t) {
					on = append(on, e.id)
				}
			}
			if len(on) > 0 {
				o.employee = on[rng.IntN(len(on))]
			}
		}
		age := refDay.Sub(t).Hours() / 24
		unpaid := 0.02
		switch {
		case age < 30:
			unpaid = 0.3
		case age < 60:
			unpaid = 0.1
		}
		switch r := rng.Float64(); {
		case r < 0.04:
			o.status = "refunded"
		case r < 0.04+unpaid:
			o.status = "open"
		}
		orders[i] = o
	}
	return orders
}

func writeOrders(path string, orders []order) error {
	os.Remove(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`create table orders (
		order_id integer primary key,
		placed date not null,
		customer text not null,
		office_id integer not null,
		employee_id integer,
		product text not null,
		quantity integer not null,
		amount real not null,
		status text not null
	)`); err != nil {
		return err
	}
	stmt, err := tx.Prepare(`insert into orders values (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for _, o := range orders {
		var employee any
		if o.employee != 0 {
			employee = o.employee
		}
		if _, err := stmt.Exec(o.id, date(o.placed), o.customer.id, offices[o.office].id, employee,
			plans[o.plan].name, o.qty, o.amount, o.status); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ---- shipping ----

// Kits ship from 2024 on, when ACME started bundling hardware.
var shippingStart = day(2024, 1, 1)

type event struct {
	OrderID   int    `json:"order_id"`
	Event     string `json:"event"`
	At        string `json:"at"`
	Carrier   string `json:"carrier"`
	Warehouse string `json:"warehouse"`
	at        time.Time
	seq       int
}

// carriers by warehouse, with their share and median transit in hours.
var carriers = map[string][]struct {
	name    string
	share   float64
	transit float64
}{
	"AMS": {{"DHL", 45, 30}, {"DPD", 35, 42}, {"UPS", 20, 34}},
	"EWR": {{"UPS", 55, 38}, {"FedEx", 45, 30}},
	"SIN": {{"DHL", 60, 26}, {"FedEx", 40, 32}},
}

// extraTransit is the customs and distance a country adds from its
// warehouse, in hours.
var extraTransit = map[string]float64{"GB": 14, "ES": 10, "CA": 22}

// nextWorkingHour moves t to the next time the warehouse works (weekdays,
// 08:00 to 18:00).
func nextWorkingHour(t time.Time) time.Time {
	for {
		if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, time.UTC)
			continue
		}
		if t.Hour() < 8 {
			return time.Date(t.Year(), t.Month(), t.Day(), 8, t.Minute(), 0, 0, time.UTC)
		}
		if t.Hour() >= 18 {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, time.UTC)
			continue
		}
		return t
	}
}

// genShipments follows each order's kit from the warehouse to the customer
// (and back, when the order was refunded). Events after refDay have not
// happened yet.
func genShipments(rng *rand.Rand, orders []order) []event {
	end := refDay.AddDate(0, 0, 1)
	var events []event
	for _, o := range orders {
		if o.placed.Before(shippingStart) {
			continue
		}
		of := offices[o.office]
		wh := of.warehouse
		cs := carriers[wh]
		w := make([]float64, len(cs))
		for i, c := range cs {
			w[i] = c.share
		}
		c := cs[pick(rng, w)]
		created := o.placed.Add(time.Duration(8*60+rng.IntN(11*60)) * time.Minute)
		picked := nextWorkingHour(created.Add(time.Duration(60+rng.IntN(20*60)) * time.Minute))
		shipped := nextWorkingHour(picked.Add(time.Duration(30+rng.IntN(5*60)) * time.Minute))
		transit := c.transit * math.Exp(0.3*rng.NormFloat64())
		transit += extraTransit[of.country]
		if shipped.Month() == 12 || (shipped.Month() == 11 && shipped.Day() >= 20) {
			transit *= 1.35 // peak season
		}
		if rng.IntN(30) == 0 {
			transit += float64(48 + rng.IntN(120)) // lost a while in a depot
		}
		delivered := shipped.Add(time.Duration(transit*60) * time.Minute)
		if delivered.Weekday() == time.Sunday {
			delivered = delivered.Add(24 * time.Hour)
		}
		steps := []struct {
			name string
			at   time.Time
		}{{"created", created}, {"picked", picked}, {"shipped", shipped}, {"delivered", delivered}}
		if o.status == "refunded" {
			steps = append(steps, struct {
				name string
				at   time.Time
			}{"returned", delivered.Add(time.Duration(5*24*60+rng.IntN(15*24*60)) * time.Minute)})
		}
		for i, s := range steps {
			if !s.at.Before(end) {
				break
			}
			events = append(events, event{OrderID: o.id, Event: s.name, At: s.at.Format(time.RFC3339),
				Carrier: c.name, Warehouse: wh, at: s.at, seq: i})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.OrderID, b.OrderID), cmp.Compare(a.seq, b.seq))
	})
	return events
}

func writeShipments(path string, events []event) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// ---- marketing ----

type targeting struct {
	Countries []string `json:"countries"`
	Plans     []string `json:"plans"`
}

type campaign struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Channel   string    `json:"channel"`
	OfficeID  int       `json:"office_id"`
	Start     string    `json:"start"`
	End       string    `json:"end"`
	Budget    float64   `json:"budget"`
	Targeting targeting `json:"targeting"`
	start     time.Time
}

var channels = []struct {
	name               string
	weight             float64
	minDays, maxDays   int
	minBudget, maxBudg float64
	label              string
}{
	{"search", 30, 21, 75, 4000, 24000, "Search"},
	{"social", 25, 14, 45, 2500, 15000, "Social"},
	{"events", 12, 1, 3, 8000, 40000, "Event"},
	{"email", 15, 3, 14, 500, 3000, "Email"},
	{"partners", 8, 30, 90, 10000, 45000, "Partner Programme"},
	{"display", 10, 14, 60, 3000, 12000, "Display"},
}

var themes = [4][]string{
	{"New Year Room Reset", "Hybrid Kick-off", "Spring Office Refresh"},
	{"Back to the Office", "Meeting Room Week", "Summer Upgrade"},
	{"Autumn Launch", "Workplace Analytics", "Enterprise Roadshow"},
	{"Year-End Upgrade", "Budget Flush", "Smart Office Summit"},
}

// genCampaigns runs one to four campaigns per office and quarter in 2023
// and 2024, more in larger offices; budgets are in EUR.
func genCampaigns(rng *rand.Rand, scale int) []campaign {
	var cs []campaign
	cw := make([]float64, len(channels))
	for i, c := range channels {
		cw[i] = c.weight
	}
	for _, o := range offices {
		size := float64(o.employees) / 40
		for y := 2023; y <= 2024; y++ {
			for q := range 4 {
				qStart := day(y, time.Month(3*q+1), 1)
				n := 1 + rng.IntN(2) + int(size+rng.Float64())
				for range n * scale {
					ch := channels[pick(rng, cw)]
					start := qStart.AddDate(0, 0, rng.IntN(80))
					end := start.AddDate(0, 0, ch.minDays-1+rng.IntN(ch.maxDays-ch.minDays+1))
					if end.After(refDay) {
						end = refDay
					}
					budget := math.Round((ch.minBudget+rng.Float64()*(ch.maxBudg-ch.minBudget))*(0.6+0.4*size)/100) * 100
					countries := []string{o.markets[0]}
					for _, m := range o.markets[1:] {
						if rng.IntN(3) > 0 {
							countries = append(countries, m)
						}
					}
					var ps []string
					for len(ps) == 0 {
						for _, p := range plans {
							if rng.IntN(3) == 0 {
								ps = append(ps, p.name)
							}
						}
					}
					theme := themes[q][rng.IntN(len(themes[q]))]
					cs = append(cs, campaign{
						Name:      fmt.Sprintf("%s %s %d %s", o.city, theme, y, ch.label),
						Channel:   ch.name,
						OfficeID:  o.id,
						Start:     date(start),
						End:       date(end),
						Budget:    budget,
						Targeting: targeting{Countries: countries, Plans: ps},
						start:     start,
					})
				}
			}
		}
	}
	slices.SortStableFunc(cs, func(a, b campaign) int {
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.OfficeID, b.OfficeID))
	})
	for i := range cs {
		cs[i].ID = fmt.Sprintf("CMP-%04d", i+1)
	}
	return cs
}

func writeCampaigns(path string, cs []campaign) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	// One campaign per line: readable, and diffs stay small.
	var b strings.Builder
	b.WriteString("[\n")
	for i, c := range cs {
		line, err := json.Marshal(c)
		if err != nil {
			f.Close()
			return err
		}
		b.WriteString("  ")
		b.Write(line)
		if i < len(cs)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ---- finance ----

// writeBudget writes the revenue budget of every office and quarter: for
// 2023, the plan made in late 2022 (close to what happened, give or take);
// for 2024, the same quarter of 2023 plus a 25% growth target.
func writeBudget(path string, orders []order) error {
	rng := stream(61)
	actual := map[string]float64{}
	for _, o := range orders {
		if o.status == "paid" {
			actual[fmt.Sprintf("%d/%s", offices[o.office].id, quarterOf(o.placed))] += o.amount
		}
	}
	rows := [][]string{{"office_id", "quarter", "budget"}}
	for _, o := range offices {
		for y := 2023; y <= 2024; y++ {
			for q := 1; q <= 4; q++ {
				var b float64
				if y == 2023 {
					b = actual[fmt.Sprintf("%d/%d-Q%d", o.id, y, q)] * (0.88 + 0.24*rng.Float64())
				} else {
					b = actual[fmt.Sprintf("%d/%d-Q%d", o.id, y-1, q)] * 1.25
				}
				rows = append(rows, []string{strconv.Itoa(o.id), fmt.Sprintf("%d-Q%d", y, q),
					strconv.FormatFloat(math.Round(b/1000)*1000, 'f', 0, 64)})
			}
		}
	}
	return writeCSV(path, rows)
}

// ---- inventory ----

// writeStock writes the count of kits in stock on refDay, set from the last
// four weeks' demand so that some plans need reordering and others do not.
func writeStock(path string, orders []order) error {
	demand := make([]int, len(plans))
	from := refDay.AddDate(0, 0, -27)
	for _, o := range orders {
		if !o.placed.Before(from) && o.status != "refunded" {
			demand[o.plan] += o.qty
		}
	}
	cover := []float64{9, 40, 16, 60}       // days of demand on hand
	onOrder := []float64{0, 0, 0.5, 0}      // share of a month's demand already ordered
	lead := []int{14, 14, 21, 35}           // days from order to the warehouse
	pack := []int{50, 25, 10, 5}            // kits per supplier pack
	unitCost := []float64{38, 96, 240, 690} // EUR per kit
	rows := [][]string{{"plan", "kit_sku", "kit", "on_hand", "on_order", "lead_time_days", "pack_size", "unit_cost", "counted_on"}}
	for i, p := range plans {
		daily := float64(demand[i]) / 28
		rows = append(rows, []string{p.name, p.kit, p.kitName,
			strconv.Itoa(int(math.Round(daily * cover[i]))),
			strconv.Itoa(int(math.Round(daily*30*onOrder[i]/float64(pack[i]))) * pack[i]),
			strconv.Itoa(lead[i]), strconv.Itoa(pack[i]), money(unitCost[i]), date(refDay)})
	}
	return writeCSV(path, rows)
}
