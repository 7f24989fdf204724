package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

var sixDigitCode = regexp.MustCompile(`^\d{6}$`)

// validateAlerts checks the severe-weather settings.
func (c *Config) validateAlerts() []error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if c.AlertAckDue < time.Minute {
		bad("DUTYDESK_ALERT_ACK_DUE", "must be at least 1m")
	}
	if c.AlertLinkTTL < time.Hour {
		bad("DUTYDESK_ALERT_LINK_TTL", "must be at least 1h")
	}
	if c.SafetyDue < time.Minute {
		bad("DUTYDESK_SAFETY_DUE", "must be at least 1m")
	}
	for _, t := range c.SafetyTimes {
		if _, err := time.Parse("15:04", t); err != nil {
			bad("DUTYDESK_SAFETY_TIMES", "%q is not a time of day like 08:00", t)
		}
	}
	for _, feed := range c.CAPFeeds {
		if u, err := url.Parse(feed); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("DUTYDESK_CAP_FEEDS", "%q is not an http(s) URL", feed)
		}
	}
	if c.CAPCityCode != "" && !sixDigitCode.MatchString(c.CAPCityCode) {
		bad("DUTYDESK_CAP_CITY_CODE", "%q is not a 6-digit administrative code like 330100", c.CAPCityCode)
	}
	return errs
}
