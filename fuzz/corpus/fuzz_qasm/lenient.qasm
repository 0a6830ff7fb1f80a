// header after a comment
include "qelib1.inc";
qreg q[2]; creg c[2];
u1 (-3*pi/8) q[0]; sx q[1]; // trailing
/* block */ cu1(pi) q[0],q[1];
