# write your program here
