# Vietnamese formats as official documents write them: 31/12/2026, 1.293.000, 44,91.
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "H:i d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1
YEAR_MONTH_FORMAT = r"\T\h\á\n\g m/Y"  # Tháng 03/2026, as the plan writes a month
