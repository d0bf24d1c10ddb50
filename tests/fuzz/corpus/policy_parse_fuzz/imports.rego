package a.b
import data.x as y
import input.z
p := y.q[z][_]
