package serve

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Health services, for Kubernetes gRPC probes and load balancers:
//
//   - liveness ("" or "liveness"): SERVING while the process runs, so that
//     a server waiting for a model (an empty registry, a model still
//     loading) is not restarted for it;
//   - readiness ("readiness" or the service's own name): SERVING once the
//     book is loaded and a model serves, so that no call is routed to a
//     server that would answer UNAVAILABLE.
//
// Both turn NOT_SERVING while the server drains.
const (
	livenessService  = "liveness"
	readinessService = "readiness"
)

// initHealth sets the health services as a server starts: live, not ready.
func (s *Server) initHealth() {
	for _, name := range []string{"", livenessService} {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	s.setReady(false)
}

// setReady sets the readiness services.
func (s *Server) setReady(ready bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ready {
		st = healthpb.HealthCheckResponse_SERVING
	}
	for _, name := range []string{readinessService, serviceName} {
		s.health.SetServingStatus(name, st)
	}
}
