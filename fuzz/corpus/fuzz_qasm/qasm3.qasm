OPENQASM 3.0;
include "stdgates.inc";
const float[64] theta = pi/8;
qubit[3] q;
qubit r;
bit[3] c;
bit d;
h q;
c[0] = measure q[0];
c = measure q;
d = measure r;
if (c[0] == 1) x q[1];
if (c == 5) { z q[0]; y q[1]; }
if (!c[1]) x r; else { h r; }
rz(theta) q[0];
U(pi, 0, pi) r;
gphase(pi/2);
barrier;
