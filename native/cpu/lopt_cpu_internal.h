// Helpers private to the CPU library.
#pragma once
void lopt_set_error(const char* message);
