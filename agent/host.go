package agent

import "os"

// Host is what the agent knows of the machine it runs on, for templates.
type Host struct {
	Hostname string
}

// DiscoverHost reads the host's identity.
func DiscoverHost() Host {
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "unknown-host"
	}
	return Host{Hostname: name}
}

// Lookup returns the value of a host placeholder, or "" for an unknown one.
func (h Host) Lookup(name string) string {
	if name == "hostname" {
		return h.Hostname
	}
	return ""
}
