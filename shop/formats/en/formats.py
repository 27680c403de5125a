"""English dates as people here read them: day, month name, 24-hour time and the zone
("7 Dec 2026, 08:42 WIB"), never the American "12/07/2026 8:42 a.m.". Names not set here
(input formats, separators) are Django's."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
