package policy

import rego.v1

default executables := 33

default hardware := 97

executables := 3 if {
	input.tdx.quote.body.rtmr_1 in query_reference_value("rtmr_1")
} else := 4 if {
	input.tdx
}

trust_claims := {"executables": executables, "hardware": hardware}

images := [img |
	c := input.init_data_claims.containers[_]
	img := c.OCI.Annotations["io.kubernetes.cri.image-name"]
]

ids := object.union_n([{"a": images}, {}])
