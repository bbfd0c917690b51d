"""The rule file most engine and slot tests read."""

RULES = """
line_prefix: "0"
holidays: {country: FR}
slots:
  office_hours: {weekdays: mon-fri, hours: "08:00-18:00"}
  night: {hours: "20:00-07:00"}
  weekend: {weekdays: [sat, sun]}
  public_holidays: {holidays: true}
  moselle_holidays: {holidays: {country: FR, subdivision: "57"}}
  alsace_holidays: {holidays: {country: FR, subdivision: "6AE"}}
  closure: {dates: ["2026-08-10..2026-08-14", "2026-12-24"]}
  working: {all_of: [office_hours], not: [public_holidays, closure]}
  dst_hole: {hours: "02:00-03:00"}
  xmas: {dates: "12-24..01-02"}
  lunch_or_evening: {any_of: [lunch, evening]}
  lunch: {hours: "12:00-14:00"}
  evening: {hours: "18:00-20:00"}
classes:
  staff:
    internal: allow
    national: allow
    mobile: {working: allow, default: pin}
    international: {working: allow, night: deny, default: pin}
    default: deny
    forward:
      mobile: {office_hours: allow, default: deny}
      national: allow
  boss:
    international: allow
    mobile: allow
    default: deny
  night_guard:
    international: {night: allow, weekend: allow, default: deny}
    mobile: {lunch_or_evening: allow}
  lobby:
    internal: deny
    emergency: deny
    default: deny
assign:
  extensions: {"2001": boss}
  ranges: {"2100-2199": lobby, "2150-2159": night_guard}
  groups: {"6000": night_guard}
  departments: {Security: staff}
  contexts: {staff: staff}
"""
