package p

s := {x | some x in [1, 2, 3]; x % 2 == 1}
o := {k: v | some k, v in {"a": 1, "b": 2}}
p := [count(s), sum([1, 2.5]), max(s), lower("AB"), trim_space(" a "), `raw\n`, -1.5e3]
r if regex.match(`^[a-z]+$`, "abc")
f(x) := y if { y := x * 2 } else := 0
q := [f(1), base64.encode("hi"), hex.decode("6869"), json.marshal({"k": [null, true]})]
t := time.parse_rfc3339_ns("2024-01-01T00:00:00Z") > 0
u := semver.compare("1.2.3", "1.10.0") == -1
w := (s | {9}) & {1, 9}
