"""Driving the route-server daemons: BIRD's control socket, OpenBGPD's ``bgpctl``, stayrtr
for RTR, and safe deployment of new configs with rollback."""
