OPENQASM 2.0;
include "qelib1.inc";
gate cu1fixed(a) c,t {
u1 (-a/2) t;
cx c,t;
u1 (a/2) t;
cx c,t;
}
gate ctu c,t { cu1fixed(3*pi/8) c,t; }
qreg q[2];
creg c[4];
h q[0];
ctu q[0],q[1];
measure q[0] -> c[0];
reset q[0];
if(c==1) u1(-pi/2) q[0];
