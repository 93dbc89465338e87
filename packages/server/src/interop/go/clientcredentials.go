// Keymint interop: golang.org/x/oauth2/clientcredentials (RFC 6749 §4.4) against a Keymint issuer.
// Discovers the token endpoint (RFC 8414), gets a token with the credentials in the Authorization
// header (client_secret_basic) and in the body (client_secret_post), and calls the Contacts API
// with the library's own authorized HTTP client. Prints one JSON object on stdout.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

type config struct {
	Issuer       string `json:"issuer"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type result struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	APIStatus   int    `json:"api_status"`
	Error       string `json:"error,omitempty"`
}

func main() {
	var cfg config
	if err := json.Unmarshal([]byte(os.Args[1]), &cfg); err != nil {
		fail(err)
	}
	response, err := http.Get(cfg.Issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		fail(err)
	}
	var metadata struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(response.Body).Decode(&metadata); err != nil {
		fail(err)
	}
	response.Body.Close()

	out := map[string]interface{}{"issuer": metadata.Issuer}
	styles := map[string]oauth2.AuthStyle{"client_secret_basic": oauth2.AuthStyleInHeader, "client_secret_post": oauth2.AuthStyleInParams}
	for name, style := range styles {
		c := clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: metadata.TokenEndpoint, Scopes: []string{"contacts_read"}, AuthStyle: style}
		r := result{}
		token, err := c.Token(context.Background())
		if err != nil {
			r.Error = err.Error()
		} else {
			r.AccessToken = token.AccessToken
			r.TokenType = token.TokenType
			if scope, ok := token.Extra("scope").(string); ok {
				r.Scope = scope
			}
			api, err := c.Client(context.Background()).Get(cfg.Issuer + "/api/v1/contacts")
			if err != nil {
				r.Error = err.Error()
			} else {
				r.APIStatus = api.StatusCode
				api.Body.Close()
			}
		}
		out[name] = r
	}
	wrong := clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: "kms_wrong", TokenURL: metadata.TokenEndpoint, AuthStyle: oauth2.AuthStyleInHeader}
	if _, err := wrong.Token(context.Background()); err != nil {
		if retrieve, ok := err.(*oauth2.RetrieveError); ok {
			out["wrong_secret_status"] = retrieve.Response.StatusCode
		} else {
			out["wrong_secret_status"] = err.Error()
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
