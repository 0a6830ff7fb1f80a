OPENQASM 2.0;
include "qelib1.inc";
opaque magic(a, b) x, y;
gate wrap(t) a, b { magic(t, 2*t) b, a; barrier a, b; }
gate rzz(theta) a, b { cx a, b; u1(theta) b; cx a, b; }
qreg q[2];
wrap(0.25) q[0], q[1];
rzz(sin(0.5)+cos(1)*tan(0.2)-exp(0.1)/ln(2)+sqrt(2)) q;
