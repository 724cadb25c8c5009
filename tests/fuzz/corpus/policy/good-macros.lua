-- Macro values may be numbers; they become strings.
-- check: p.macros.redhat == "9" and p.macros.ratio == "1.5" and p.macros.neg == "-3"
-- check: p.macros._with_ssl == "--with-ssl" and p.macros.big == "4096"
-- check: p.macros.text == "a %{dist} b" and p.macros.multi == "line 1\nline 2"
return {
  macros = {
    redhat = 9,
    ratio = 1.5,
    neg = -3,
    big = 0x1000,
    _with_ssl = "--with-ssl",
    text = "a %{dist} b",
    multi = [[
line 1
line 2]],
  },
}
