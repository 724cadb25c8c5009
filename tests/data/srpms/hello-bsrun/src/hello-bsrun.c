#include <stdio.h>

int main(void)
{
	puts("Hello from bsrun!");
	return 0;
}
