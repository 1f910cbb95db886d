"""Route-server configs rendered for the daemons: BIRD 2 (rs1) and OpenBGPD (rs2)."""
