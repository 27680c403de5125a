"""Indonesian dates as they are written in Indonesian: "7 Des 2026 08.42 WIB" (a dot
between hours and minutes, the zone's own abbreviation). Names not set here are Django's."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H.i T"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
