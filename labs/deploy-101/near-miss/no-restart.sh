# Near miss: no Restart= in the unit: a crash leaves the app down.
set -eu
cat > /etc/systemd/system/hello-app.service <<'UNIT'
[Service]
User=hello
EnvironmentFile=/etc/hello-app.env
ExecStart=/usr/bin/python3 /srv/hello-app/app.py

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now hello-app
