package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is when a scheduled refresh or export runs. River's periodic jobs take
// it as their schedule (river.PeriodicSchedule has the same method).
type Schedule interface {
	// Next returns the first time after t the schedule fires.
	Next(t time.Time) time.Time
}

// ParseSchedule reads REFRESH_SCHEDULE or EXPORT_SCHEDULE: standard cron with five
// fields (minute hour day-of-month month day-of-week, in the process's time zone
// unless prefixed with CRON_TZ=Zone), or a descriptor such as @daily, @hourly or
// @every 6h. Parse checks both settings with it, so that a typo stops the process
// at start instead of silently never refreshing.
func ParseSchedule(spec string) (Schedule, error) {
	s, err := cron.ParseStandard(strings.TrimSpace(spec))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// checkSchedule validates the schedule in the variable name, when set.
func checkSchedule(name, spec string) error {
	if spec == "" {
		return nil
	}
	if _, err := ParseSchedule(spec); err != nil {
		return fmt.Errorf(`%s=%q: want a cron schedule such as "0 3 * * *" (5 fields), @daily or @every 6h: %w`, name, spec, err)
	}
	return nil
}
