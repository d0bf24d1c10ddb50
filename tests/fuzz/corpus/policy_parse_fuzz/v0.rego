package policy

import future.keywords.every

default allow := false

allow {
	every k, v in input {
		judge(k, v)
	}
}

judge(k, v) {
	not data.reference[k]
}

judge(k, v) {
	data.reference[k] == v
}

deny[msg] {
	some i
	input.xs[i] > 3
	msg := sprintf("item %d too big: %v", [i, input.xs[i]])
}
