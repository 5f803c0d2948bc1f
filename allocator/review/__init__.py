"""The budget review pack: the plan as a workbook and a one-file HTML report, numbers rounded to add up."""
