OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
rz(pi/(1-1)) q[0];
