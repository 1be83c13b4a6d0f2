# Near miss: the app runs as hello, on 127.0.0.1, started by hand in the background: no unit, nothing restarts it.
set -eu
cd /srv/hello-app
sudo -u hello bash -c 'set -a; . /etc/hello-app.env; set +a; nohup python3 /srv/hello-app/app.py >/tmp/hello-app.log 2>&1 &'
sleep 1
