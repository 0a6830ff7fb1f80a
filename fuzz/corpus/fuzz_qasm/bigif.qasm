OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg big[130];
if(big==1361129467683753853853498429727072845823) x q[0];
if(big==0) measure q[1] -> big[129];
