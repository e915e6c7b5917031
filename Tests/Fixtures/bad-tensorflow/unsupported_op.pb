
G
inputPlaceholder*
dtype0*$
shape:ÿÿÿÿÿÿÿÿÿ

tanhTanhinput*
T0

outRelu6tanh*
T0"ª