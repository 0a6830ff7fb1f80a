OPENQASM 2.0;
include "qelib1.inc";
gate a x { h x; h x; }
gate b x { a x; a x; }
gate c x { b x; b x; }
qreg q[4];
c q;
