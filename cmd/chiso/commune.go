package main

import (
	"strings"

	"chiso/sync/config"
)

// communeScope is the commune a config's daemon is in a shared warehouse
// (org.self) and its tree (org.self and the units under it in the org
// directory): the scope of its store (warehouse.Store.SetCommune) and of
// the facts its connectors may write.
func communeScope(cfg *config.Config) (string, []string) {
	self := strings.ToUpper(strings.TrimSpace(cfg.Org.Self))
	if self == "" {
		return "", nil
	}
	if cfg.Directory == nil {
		return self, []string{self}
	}
	return self, cfg.Directory.Descendants(self)
}
