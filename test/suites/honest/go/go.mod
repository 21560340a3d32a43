module example.com/dozhim/honest

go 1.19
