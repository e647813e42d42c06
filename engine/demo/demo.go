// Package demo builds pacer's sample organization, which `pacer demo` loads: users and
// teams, about two hundred leads, contacts, opportunities and accounts, the email templates
// the built-in sequences use, and the built-in sequences to create and activate.
//
// The data is generated from a fixed seed, so every call of Org returns the same org.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// Data is a sample organization, ready to be written to a store.
type Data struct {
	Users     []store.User
	Teams     []store.Team
	Records   []store.Record
	Templates []store.Template
	// Sequences are keys of built-in sequence templates (sequence.TemplateByKey) to create
	// from their templates and activate.
	Sequences []string
}

// Names used by the sample org.
const (
	// Domain is the made-up mail domain of the org's users.
	Domain = "example.com"
	// AdminUser, ManagerUser are the usernames of the org's admin and sales manager.
	AdminUser   = "admin"
	ManagerUser = "dana.whitfield"
	// OwnerTeamName is the owner team that owns some records; AccessTeamName is the access
	// team set on some accounts and opportunities.
	OwnerTeamName  = "inside-sales"
	AccessTeamName = "strategic-deals"
)

// sellers are the usernames of the org's four sellers, in a fixed order.
var sellers = []string{"sam.okafor", "maria.lindqvist", "jonas.brandt", "priya.raman"}

// Counts of records per entity in the sample org.
const (
	NumLeads         = 50
	NumContacts      = 50
	NumOpportunities = 50
	NumAccounts      = 50
)

// opportunityStages are the business-process stages of opportunities, in order.
var opportunityStages = []string{"qualify", "develop", "propose", "close"}

// seed makes every generated org the same.
const seed1, seed2 = 0x9ace2, 0x5a1e5

// Org returns the sample organization. Every call returns an equal, freshly built value.
func Org() Data {
	g := &gen{rng: rand.New(rand.NewPCG(seed1, seed2)), usedPeople: map[string]bool{}}
	d := Data{
		Users:     users(),
		Teams:     teams(),
		Templates: templates(),
	}
	accounts := g.accounts()
	d.Records = append(d.Records, accounts...)
	d.Records = append(d.Records, g.contacts(accounts)...)
	d.Records = append(d.Records, g.opportunities(accounts)...)
	d.Records = append(d.Records, g.leads(accounts)...)
	for _, t := range sequence.Templates() {
		d.Sequences = append(d.Sequences, t.Key)
	}
	return d
}

func users() []store.User {
	u := func(username, name, title, territory, tz string, roles ...store.Role) store.User {
		return store.User{
			Username:  username,
			Name:      name,
			Email:     username + "@" + Domain,
			Roles:     roles,
			Title:     title,
			Territory: territory,
			TimeZone:  tz,
		}
	}
	return []store.User{
		u(AdminUser, "Robin Castellano", "Sales Operations Lead", "", "UTC", store.RoleAdmin),
		u(ManagerUser, "Dana Whitfield", "Sales Manager", "North America", "America/Chicago", store.RoleManager),
		u(sellers[0], "Sam Okafor", "Account Executive", "West", "America/Los_Angeles", store.RoleSeller),
		u(sellers[1], "Maria Lindqvist", "Senior Account Executive", "EMEA", "Europe/Stockholm", store.RoleSeller),
		u(sellers[2], "Jonas Brandt", "Solutions Engineer", "Central", "Europe/Berlin", store.RoleSeller),
		u(sellers[3], "Priya Raman", "Sales Development Representative", "East", "America/New_York", store.RoleSeller),
	}
}

func teams() []store.Team {
	return []store.Team{
		{Name: OwnerTeamName, Type: store.OwnerTeam, Members: []store.Member{
			{Username: sellers[1], Role: "account manager"},
			{Username: sellers[0], Role: "sales rep"},
			{Username: sellers[3], Role: "sales rep"},
		}},
		{Name: AccessTeamName, Type: store.AccessTeam, Members: []store.Member{
			{Username: sellers[1], Role: "account manager"},
			{Username: sellers[0], Role: "sales rep"},
			{Username: sellers[2], Role: "technical specialist"},
		}},
	}
}

// Companies are made of a first word and a line of business; the line of business gives
// the industry.
var (
	companyWords = []string{
		"Bluefin", "Cedar", "Harbor", "Ironwood", "Lumen", "Maple", "Nimbus", "Orchid",
		"Pinecrest", "Quarry", "Redstone", "Silverline", "Tidewater", "Summit", "Brightpath",
		"Copperleaf", "Driftwood", "Evergreen", "Foxglove", "Granite", "Helix", "Juniper",
		"Keystone", "Lakeshore", "Meridian", "Northstar", "Oakridge", "Prairie", "Riverbend",
		"Sandpiper", "Alder", "Beacon", "Cobalt", "Larkspur", "Westbrook", "Stonegate",
	}
	companyKinds = []struct{ suffix, industry string }{
		{"Logistics", "Transportation"},
		{"Analytics", "Software"},
		{"Foods", "Food & Beverage"},
		{"Health", "Healthcare"},
		{"Manufacturing", "Manufacturing"},
		{"Energy", "Energy"},
		{"Software", "Software"},
		{"Retail", "Retail"},
		{"Labs", "Life Sciences"},
		{"Financial", "Financial Services"},
		{"Robotics", "Manufacturing"},
		{"Outfitters", "Retail"},
		{"Media", "Media"},
		{"Systems", "Information Technology"},
		{"Insurance", "Financial Services"},
	}
	cities = []string{
		"Seattle", "Portland", "Denver", "Austin", "Chicago", "Boston", "New York", "Atlanta",
		"Toronto", "London", "Stockholm", "Berlin", "Munich", "Amsterdam", "Dublin", "Madrid",
	}
	firstNames = []string{
		"Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Lucas", "Mia", "Mateo",
		"Isabella", "Leo", "Amara", "Kenji", "Zara", "Tomas", "Ingrid", "Rafael", "Chloe",
		"Daniel", "Hannah", "Omar", "Grace", "Felix", "Nora", "Victor", "Leila", "Arjun",
		"Elena", "Marcus", "Freya", "Hugo", "Yuki", "Caleb", "Sofia", "Andre",
	}
	lastNames = []string{
		"Bennett", "Nakamura", "Okonkwo", "Fischer", "Alvarez", "Johansson", "Murphy", "Rossi",
		"Kowalski", "Chen", "Dubois", "Haddad", "Novak", "Sullivan", "Petrov", "Moreau",
		"Hughes", "Santos", "Lindgren", "Adeyemi", "Kaur", "Brennan", "Costa", "Weiss",
		"Yamamoto", "Ortega", "Larsen", "Mensah", "Quinn", "Varga",
	}
	jobTitles = []string{
		"VP of Operations", "Head of IT", "Procurement Manager", "Chief Financial Officer",
		"Director of Sales", "Operations Manager", "CTO", "Marketing Director",
		"Product Manager", "Head of Customer Success", "IT Manager", "Chief Executive Officer",
	}
	dealKinds = []string{
		"platform rollout", "renewal and expansion", "pilot project", "analytics add-on",
		"regional expansion", "enterprise upgrade", "team licenses", "integration services",
	}
	leadSources  = []string{"web form", "webinar", "trade show", "referral", "cold outreach", "partner"}
	leadStatuses = []string{"new", "new", "new", "contacted", "qualified", "nurture"}
	priorities   = []string{"low", "medium", "medium", "high"}
)

type company struct {
	name, industry, slug string
}

type gen struct {
	rng        *rand.Rand
	companies  []company // every company, in shuffled order; accounts take the first ones
	usedPeople map[string]bool
}

func (g *gen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// between returns a whole number in [lo, hi].
func (g *gen) between(lo, hi int) float64 { return float64(lo + g.rng.IntN(hi-lo+1)) }

func (g *gen) allCompanies() []company {
	if g.companies == nil {
		for _, w := range companyWords {
			for _, k := range companyKinds {
				name := w + " " + k.suffix
				g.companies = append(g.companies, company{name: name, industry: k.industry, slug: strings.ToLower(w + k.suffix)})
			}
		}
		g.rng.Shuffle(len(g.companies), func(i, j int) {
			g.companies[i], g.companies[j] = g.companies[j], g.companies[i]
		})
	}
	return g.companies
}

// person returns a first and last name not used before in the org.
func (g *gen) person() (string, string) {
	for {
		f, l := g.pick(firstNames), g.pick(lastNames)
		if !g.usedPeople[f+" "+l] {
			g.usedPeople[f+" "+l] = true
			return f, l
		}
	}
}

func (g *gen) phone() string {
	return fmt.Sprintf("+1 555 %03d %04d", g.rng.IntN(1000), g.rng.IntN(10000))
}

// owner spreads records over the sellers, with about one in twelve owned by the owner team.
func (g *gen) owner(i int) string {
	if g.rng.IntN(12) == 0 {
		return "team:" + OwnerTeamName
	}
	return sellers[i%len(sellers)]
}

func (g *gen) accounts() []store.Record {
	cs := g.allCompanies()[:NumAccounts]
	out := make([]store.Record, 0, NumAccounts)
	for i, c := range cs {
		employees := g.between(20, 5000)
		customer := g.rng.IntN(3) != 0
		r := store.Record{
			Entity: "account",
			ID:     fmt.Sprintf("A-%d", 3001+i),
			Name:   c.name,
			Owner:  g.owner(i),
			Email:  "info@" + c.slug + ".example",
			Phone:  g.phone(),
			Fields: map[string]any{
				"industry":       c.industry,
				"city":           g.pick(cities),
				"employees":      employees,
				"annual_revenue": employees * g.between(8, 30) * 10000,
				"priority":       g.pick(priorities),
				"customer":       customer,
			},
		}
		if customer {
			r.Fields["renewal_date"] = fmt.Sprintf("2026-%02d-%02d", 1+g.rng.IntN(12), 1+g.rng.IntN(28))
		}
		if g.rng.IntN(2) == 0 {
			r.Fields["account_manager"] = g.pick(sellers)
		}
		if i%5 == 0 {
			r.AccessTeam = AccessTeamName
		}
		out = append(out, r)
	}
	return out
}

func (g *gen) contacts(accounts []store.Record) []store.Record {
	out := make([]store.Record, 0, NumContacts)
	for i := range NumContacts {
		acc := accounts[g.rng.IntN(len(accounts))]
		first, last := g.person()
		slug := strings.TrimPrefix(acc.Email, "info@")
		r := store.Record{
			Entity: "contact",
			ID:     fmt.Sprintf("C-%d", 2001+i),
			Name:   first + " " + last,
			Owner:  acc.Owner,
			Email:  strings.ToLower(first+"."+last) + "@" + slug,
			Phone:  g.phone(),
			Fields: map[string]any{
				"first_name":  first,
				"last_name":   last,
				"company":     acc.Name,
				"account":     acc.ID,
				"job_title":   g.pick(jobTitles),
				"city":        acc.Fields["city"],
				"do_not_call": g.rng.IntN(10) == 0,
			},
		}
		if g.rng.IntN(4) == 0 {
			r.Fields["preferred_channel"] = "email"
		}
		out = append(out, r)
	}
	return out
}

func (g *gen) opportunities(accounts []store.Record) []store.Record {
	out := make([]store.Record, 0, NumOpportunities)
	for i := range NumOpportunities {
		acc := accounts[g.rng.IntN(len(accounts))]
		stage := opportunityStages[g.rng.IntN(len(opportunityStages))]
		prob := map[string]float64{"qualify": 10, "develop": 30, "propose": 60, "close": 85}[stage]
		r := store.Record{
			Entity: "opportunity",
			ID:     fmt.Sprintf("O-%d", 4001+i),
			Name:   acc.Name + " - " + g.pick(dealKinds),
			Owner:  g.owner(i + 1),
			Stage:  stage,
			Email:  acc.Email,
			Phone:  acc.Phone,
			Fields: map[string]any{
				"account":     acc.ID,
				"company":     acc.Name,
				"industry":    acc.Fields["industry"],
				"budget":      g.between(5, 250) * 1000,
				"probability": prob,
				"close_date":  fmt.Sprintf("2026-%02d-%02d", 1+g.rng.IntN(12), 1+g.rng.IntN(28)),
				"priority":    g.pick(priorities),
			},
		}
		if acc.AccessTeam != "" || g.rng.IntN(6) == 0 {
			r.AccessTeam = AccessTeamName
		}
		if am, ok := acc.Fields["account_manager"]; ok {
			r.Fields["account_manager"] = am
		}
		out = append(out, r)
	}
	return out
}

func (g *gen) leads(accounts []store.Record) []store.Record {
	// Leads work at prospects: companies that are not accounts yet.
	prospects := g.allCompanies()[len(accounts):]
	out := make([]store.Record, 0, NumLeads)
	for i := range NumLeads {
		c := prospects[i%len(prospects)]
		first, last := g.person()
		out = append(out, store.Record{
			Entity: "lead",
			ID:     fmt.Sprintf("L-%d", 1001+i),
			Name:   first + " " + last,
			Owner:  g.owner(i + 2),
			Email:  strings.ToLower(first+"."+last) + "@" + c.slug + ".example",
			Phone:  g.phone(),
			Fields: map[string]any{
				"first_name":  first,
				"last_name":   last,
				"company":     c.name,
				"job_title":   g.pick(jobTitles),
				"industry":    c.industry,
				"city":        g.pick(cities),
				"employees":   g.between(10, 2000),
				"budget":      g.between(0, 120) * 1000,
				"source":      g.pick(leadSources),
				"status":      g.pick(leadStatuses),
				"priority":    g.pick(priorities),
				"do_not_call": g.rng.IntN(12) == 0,
			},
		})
	}
	return out
}

// templates returns an email template for every name the built-in sequences use.
func templates() []store.Template {
	bodies := map[string][2]string{
		"prospecting-intro": {
			"A quicker way for {{field:company}} to follow up with every customer",
			"Hi {{first_name}},\n\nTeams like yours at {{field:company}} often tell us that follow-ups slip when the week gets busy. " +
				"We help sales teams plan every email, call and task so nothing falls through the cracks.\n\n" +
				"Would a 20-minute conversation next week be useful?\n\nBest regards,\n{{owner.name}}",
		},
		"prospecting-follow-up": {
			"Following up, {{first_name}}",
			"Hi {{first_name}},\n\nI tried to reach you by phone earlier this week. " +
				"I put together a few ideas for the {{field:industry}} teams we work with; happy to walk you through them.\n\n" +
				"Is there a good time for a short call?\n\n{{owner.name}}",
		},
		"prospecting-last-try": {
			"Should I close your file?",
			"Hi {{first_name}},\n\nI have not heard back, so I assume the timing is not right. " +
				"I will stop reaching out for now; if planning your team's outreach becomes a priority, just reply to this email.\n\n" +
				"All the best,\n{{owner.name}}",
		},
		"webinar-thank-you": {
			"Thanks for joining us, {{first_name}}: here is the recording",
			"Hi {{first_name}},\n\nThank you for registering for our webinar. The recording and the slides are now available at the link below.\n\n" +
				"If anything in it applies to {{field:company}}, I would be glad to talk it through.\n\n{{owner.name}}",
		},
		"webinar-follow-up": {
			"A few thoughts after the webinar",
			"Hi {{first_name}},\n\nI tried to call you about the webinar. Many attendees asked how to get started with a small team first; " +
				"I can share what has worked for others in {{field:industry}}.\n\nWould you like to set up a short call?\n\n{{owner.name}}",
		},
		"webinar-resources": {
			"Resources from the webinar",
			"Hi {{first_name}},\n\nIn case you missed the live session, here are the guide and checklist we covered, " +
				"plus two short customer stories.\n\nHappy reading,\n{{owner.name}}",
		},
		"event-invitation": {
			"You are invited: our customer day in {{field:city}}",
			"Hi {{first_name}},\n\nWe are hosting a half-day event for our customers and partners, with product sessions, " +
				"customer talks and time to meet the team. We would love to see you and your colleagues from {{field:company}} there.\n\n" +
				"Register with the link below.\n\n{{owner.name}}",
		},
		"event-reminder": {
			"Reminder: seats are filling up",
			"Hi {{first_name}},\n\nA quick reminder about our upcoming event. A few seats are still open; " +
				"registering takes less than a minute.\n\nHope to see you there,\n{{owner.name}}",
		},
		"meeting-missed": {
			"Sorry we missed each other",
			"Hi {{first_name}},\n\nIt looks like we could not connect for our meeting today. No problem at all! " +
				"Would another time this week or next work better for you?\n\n{{owner.name}}",
		},
		"meeting-new-times": {
			"A few new times for our meeting",
			"Hi {{first_name}},\n\nHere are a few times that work on my side to pick up our conversation. " +
				"Reply with the one that suits you best, or suggest another.\n\n{{owner.name}}",
		},
		"demo-scheduling": {
			"Your demo request: let's find a time",
			"Hello,\n\nThanks for asking for a demo for {{field:company}}. To make it useful, I would like to show you the parts that matter most to your team.\n\n" +
				"Which of the following times works for you?\n\n{{owner.name}}",
		},
		"demo-reminder": {
			"Still interested in a demo?",
			"Hello,\n\nI sent a few times for your demo earlier this week. If none of them work, " +
				"just reply with a time that does and I will make it happen.\n\n{{owner.name}}",
		},
		"demo-recap": {
			"Recap of today's demo",
			"Hello,\n\nThank you for your time today. Attached are the slides and the notes from our session, " +
				"including the next steps we agreed on for {{field:company}}.\n\nLet me know if anything is missing.\n\n{{owner.name}}",
		},
		"renewal-notice": {
			"Your renewal is coming up on {{field:renewal_date}}",
			"Hello,\n\nThe subscription of {{name}} is up for renewal on {{field:renewal_date}}. " +
				"I will reach out shortly to review how things are going and what you need for the coming year.\n\n{{owner.name}}",
		},
		"renewal-reminder": {
			"Planning your renewal",
			"Hello,\n\nI tried to reach you about the upcoming renewal of {{name}}. " +
				"Could we find 30 minutes to review your usage and plans for next year?\n\n{{owner.name}}",
		},
		"renewal-quote": {
			"Renewal quote for {{name}}",
			"Hello,\n\nAs discussed, please find the renewal quote for {{name}} attached. " +
				"It reflects the changes we talked about. Let me know if you have any questions.\n\n{{owner.name}}",
		},
	}
	names := sequence.EmailTemplateNames()
	out := make([]store.Template, 0, len(names))
	for _, n := range names {
		b, ok := bodies[n]
		if !ok {
			continue // caught by the package tests
		}
		out = append(out, store.Template{Name: n, Kind: store.EmailTemplate, Subject: b[0], Body: b[1]})
	}
	return out
}
