// Command gen writes the demo company's domain data: deterministic, so that
// tests can check figures against it, and realistic enough to explore.
//
//	go run ./examples/acme/gen            # the committed size
//	go run ./examples/acme/gen -scale 20  # 20 times more orders
package main

import (
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "modernc.org/sqlite"
)

type office struct {
	id             int
	city, country  string
	opened         string
	employees      int
	incentiveRatio float64
}

var offices = []office{
	{1, "Berlin", "DE", "2015-03-01", 42, 0.04},
	{2, "London", "GB", "2012-09-15", 55, 0.05},
	{3, "Paris", "FR", "2017-01-10", 31, 0.03},
	{4, "Madrid", "ES", "2019-06-01", 18, 0.03},
	{5, "New York", "US", "2011-04-20", 64, 0.06},
	{6, "Austin", "US", "2020-02-03", 22, 0.04},
	{7, "Toronto", "CA", "2018-11-05", 19, 0.035},
	{8, "Singapore", "SG", "2016-08-22", 27, 0.045},
}

var (
	firstNames  = []string{"Ada", "Ben", "Chloe", "Dev", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kai", "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wen", "Yara", "Zoe"}
	lastNames   = []string{"Schmidt", "Smith", "Martin", "Garcia", "Johnson", "Tan", "Brown", "Rossi", "Khan", "Novak", "Silva", "Lee", "Meyer", "Dubois", "Lopez", "Chen"}
	departments = []string{"sales", "sales", "sales", "engineering", "support", "marketing", "finance"}
	products    = []string{"Starter", "Team", "Business", "Enterprise"}
	prices      = []float64{290, 1490, 4900, 18900}
)

func main() {
	out := flag.String("out", "examples/acme", "mesh folder to write the domains' data into")
	scale := flag.Int("scale", 1, "multiplies the number of orders (1: 6,000)")
	flag.Parse()
	if err := generate(*out, *scale); err != nil {
		log.Fatal(err)
	}
}

func generate(out string, scale int) error {
	rng := rand.New(rand.NewPCG(2024, 11))
	if err := writeOffices(filepath.Join(out, "hr", "data", "offices.csv")); err != nil {
		return err
	}
	salesStaff, err := writeEmployees(filepath.Join(out, "hr", "data", "employees.csv"), rng)
	if err != nil {
		return err
	}
	return writeOrders(filepath.Join(out, "sales", "data", "sales.db"), rng, salesStaff, 6000*scale)
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

func writeOffices(path string) error {
	rows := [][]string{{"office_id", "city", "country", "opened", "incentive_rate"}}
	for _, o := range offices {
		rows = append(rows, []string{strconv.Itoa(o.id), o.city, o.country, o.opened, strconv.FormatFloat(o.incentiveRatio, 'f', -1, 64)})
	}
	return writeCSV(path, rows)
}

// writeEmployees writes every office's staff and returns the ids of the
// sales people of each office.
func writeEmployees(path string, rng *rand.Rand) (map[int][]int, error) {
	rows := [][]string{{"employee_id", "name", "office_id", "department", "hired", "left"}}
	sales := map[int][]int{}
	id := 1000
	for _, o := range offices {
		opened, _ := time.Parse(time.DateOnly, o.opened)
		for range o.employees {
			id++
			dept := departments[rng.IntN(len(departments))]
			hired := opened.AddDate(0, 0, rng.IntN(int(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Sub(opened).Hours()/24)))
			left := ""
			if rng.IntN(10) == 0 {
				left = hired.AddDate(0, 3+rng.IntN(30), 0).Format(time.DateOnly)
			}
			name := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
			rows = append(rows, []string{strconv.Itoa(id), name, strconv.Itoa(o.id), dept, hired.Format(time.DateOnly), left})
			if dept == "sales" {
				sales[o.id] = append(sales[o.id], id)
			}
		}
	}
	return sales, writeCSV(path, rows)
}

func writeOrders(path string, rng *rand.Rand, sales map[int][]int, n int) error {
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
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	for i := range n {
		o := offices[rng.IntN(len(offices))]
		var employee any
		if staff := sales[o.id]; len(staff) > 0 && rng.IntN(5) > 0 {
			employee = staff[rng.IntN(len(staff))]
		}
		p := rng.IntN(len(products))
		qty := 1 + rng.IntN(5)
		amount := float64(qty) * prices[p] * (0.9 + rng.Float64()*0.2)
		status := "paid"
		switch r := rng.IntN(20); {
		case r == 0:
			status = "refunded"
		case r < 3:
			status = "open"
		}
		placed := start.AddDate(0, 0, rng.IntN(days+1)).Format(time.DateOnly)
		customer := fmt.Sprintf("C%05d", 1+rng.IntN(1500))
		if _, err := stmt.Exec(i+1, placed, customer, o.id, employee, products[p], qty, float64(int(amount*100))/100, status); err != nil {
			return err
		}
	}
	return tx.Commit()
}
