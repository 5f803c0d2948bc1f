"""Past data -> scenario inputs: calibration, RFM tiers, target checks."""
