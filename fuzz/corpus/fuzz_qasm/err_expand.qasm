OPENQASM 2.0;
include "qelib1.inc";
gate g(t) a {
  rz(1/t) a;
}
qreg q[1];
g(0) q[0];
rx(1e999) q[0];
rz(ln(0)) q[0];
h q[0]