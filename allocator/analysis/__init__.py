"""Why a plan is what it is: infeasibility diagnosis, price ranging, explanations."""
