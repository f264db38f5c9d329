package report

import (
	"encoding/json"
	"io"
)

// SARIF 2.1.0 (OASIS), the subset flotilla fills in. Every result's
// location is the source file and line a user edits; the rendered file is
// a related location.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name,omitempty"`
	ShortDescription     *sarifText         `json:"shortDescription,omitempty"`
	FullDescription      *sarifText         `json:"fullDescription,omitempty"`
	Help                 *sarifText         `json:"help,omitempty"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           *sarifProperties   `json:"properties,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifProperties struct {
	Tags []string `json:"tags,omitempty"`
}

type sarifResult struct {
	RuleID           string            `json:"ruleId"`
	RuleIndex        int               `json:"ruleIndex"`
	Level            string            `json:"level"`
	Message          sarifText         `json:"message"`
	Locations        []sarifLocation   `json:"locations"`
	RelatedLocations []sarifLocation   `json:"relatedLocations,omitempty"`
	Suppressions     []sarifSuppressed `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	ID               *int           `json:"id,omitempty"`
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

type sarifSuppressed struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

func sarifLevel(s Severity) string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

func writeSARIF(w io.Writer, r *Report) error {
	tool := r.Tool
	if tool == "" {
		tool = "flotilla"
	}
	drv := sarifDriver{Name: tool, Version: r.Version, InformationURI: "https://github.com/flotilla-gitops/flotilla", Rules: []sarifRule{}}
	index := map[string]int{}
	addRule := func(rule Rule) {
		if _, ok := index[rule.ID]; ok {
			return
		}
		index[rule.ID] = len(drv.Rules)
		sr := sarifRule{ID: rule.ID, Name: rule.Title, DefaultConfiguration: sarifConfiguration{Level: sarifLevel(rule.Severity)}, HelpURI: rule.HelpURI}
		if rule.Title != "" {
			sr.ShortDescription = &sarifText{Text: rule.Title}
		}
		if rule.Description != "" {
			sr.FullDescription = &sarifText{Text: rule.Description}
		}
		if rule.Remediation != "" {
			sr.Help = &sarifText{Text: rule.Remediation}
		}
		tags := append([]string{rule.Family}, rule.Tags...)
		sr.Properties = &sarifProperties{Tags: tags}
		drv.Rules = append(drv.Rules, sr)
	}
	for _, rule := range r.Rules {
		addRule(rule)
	}
	results := []sarifResult{}
	emit := func(f Finding, suppressed bool) {
		addRule(Rule{ID: f.Rule, Title: f.Rule, Severity: f.Severity, Family: f.Category})
		res := sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity), Message: sarifText{Text: f.Message}}
		loc := sarifLocation{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.File, URIBaseID: "%SRCROOT%"}}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		if f.Object != "" {
			name := f.Object
			if f.Field != "" {
				name += "." + f.Field
			}
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: name, Kind: "object"}}
		}
		res.Locations = []sarifLocation{loc}
		if f.Rendered != "" {
			id := 1
			res.RelatedLocations = []sarifLocation{{ID: &id, PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.Rendered, URIBaseID: "%SRCROOT%"}}, Message: &sarifText{Text: "rendered as " + f.Rendered}}}
		}
		if suppressed {
			res.Suppressions = []sarifSuppressed{{Kind: "inSource", Justification: f.Exception}}
		}
		results = append(results, res)
	}
	for _, f := range r.Findings {
		emit(f, false)
	}
	for _, f := range r.Suppressed {
		emit(f, true)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: drv}, Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
