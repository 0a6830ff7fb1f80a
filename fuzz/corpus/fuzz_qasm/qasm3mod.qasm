OPENQASM 3;
include "stdgates.inc";
qubit[5] q;
let mid = q[1:3];
h mid;
x q[0:2:4];
z q[-1];
inv @ s q[0];
ctrl @ x q[0], q[1];
ctrl(2) @ x q[0], q[1], q[2];
gate g(t) a, b { ctrl @ rx(t) a, b; inv @ s b; }
g(0.3) q[3], q[4];
#pragma hint
delay[100ns] q[0];
